"""Offline bundle (离线安装包) for an isolated intranet: ``python -m shujian.bundle OUT``.

Builds ``OUT/shujian-<version>-<platform>-py<X.Y>.tar.gz`` holding the project wheel, a wheel of every
dependency for the named platform and Python version, and ``install.sh``.  On the intranet machine::

    tar xzf shujian-….tar.gz && cd shujian-… && ./install.sh /opt/shujian/venv

creates the virtual environment from the bundled wheels only (``pip --isolated install --no-index``) and
checks the installation with ``shujian --version``.  The web assets (ECharts, htmx, the canvas editor) are
inside the project wheel (shujian/web/static/vendor), so nothing is fetched at run time either.

How dependencies are gathered: ``pip download --only-binary=:all:`` for the target platform (so a bundle
for another machine can be built here); a dependency published only as source (a pure-Python sdist) is
built into a wheel once (``pip wheel --no-deps``) and the download repeated with it on the find-links path.
Building a bundle needs the package index; installing from it needs nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__

INSTALL_SH = """#!/bin/sh
# 数检 shujian {version} 离线安装（不访问任何软件源）。用法：./install.sh [虚拟环境目录]（默认 ./venv）
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${{1:-$HERE/venv}}
PY=${{PYTHON:-python3}}
"$PY" -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == ({py_major}, {py_minor}) else 1)' || {{
  echo "需要 Python {py_major}.{py_minor}（本安装包为其构建）：用 PYTHON=/path/to/python{py_major}.{py_minor} ./install.sh" >&2
  exit 2
}}
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip --isolated install --no-index --find-links "$HERE/wheels" "{requirement}"
"$VENV/bin/shujian" --version
echo "安装完成：$VENV/bin/shujian（试运行：$VENV/bin/shujian demo --no-serve）"
"""

_MISSING = re.compile(r"(?:No matching distribution found for|Could not find a version that satisfies the "
                      r"requirement) ([A-Za-z0-9_.\-]+)")


@dataclass(frozen=True)
class Target:
    """The machine the bundle is for."""

    platform: str | None       # a pip platform tag, e.g. manylinux2014_x86_64; None: this machine's
    python: str                # "3.11"

    @property
    def label(self) -> str:
        plat = self.platform or sysconfig.get_platform().replace("-", "_").replace(".", "_")
        return f"{plat}-py{self.python}"

    def pip_args(self) -> list[str]:
        if not self.platform:
            return []
        nodot = self.python.replace(".", "")
        return ["--platform", self.platform, "--python-version", self.python, "--implementation", "cp",
                "--abi", f"cp{nodot}"]


def repo_root() -> Path:
    """The source checkout this module runs from (the bundle is built from source)."""
    for parent in Path(__file__).resolve().parents:
        pyproject = parent / "pyproject.toml"
        if pyproject.exists() and 'name = "shujian"' in pyproject.read_text(encoding="utf-8"):
            return parent
    raise SystemExit("找不到 shujian 的源代码目录（pyproject.toml）：请在源代码检出中运行 python -m shujian.bundle")


def _pip(*args: str, log: Path) -> subprocess.CompletedProcess:
    with log.open("a", encoding="utf-8") as out:
        out.write("$ pip " + " ".join(args) + "\n")
        out.flush()
        return subprocess.run([sys.executable, "-m", "pip", *args], stdout=out, stderr=subprocess.PIPE,
                              text=True, check=False)


def project_wheel(wheels: Path, log: Path) -> Path:
    done = _pip("wheel", "--no-deps", "-w", str(wheels), str(repo_root()), log=log)
    if done.returncode:
        raise SystemExit(f"构建 shujian 的 wheel 失败：\n{done.stderr[-2000:]}")
    return next(wheels.glob(f"shujian-{__version__}-*.whl"))


def dependencies(requirement: str, wheels: Path, target: Target, log: Path, *, attempts: int = 20) -> None:
    """Download every dependency of ``requirement`` as a wheel for ``target`` into ``wheels``."""
    for _ in range(attempts):
        done = _pip("download", "--only-binary=:all:", "--find-links", str(wheels), "-d", str(wheels),
                    *target.pip_args(), requirement, log=log)
        if done.returncode == 0:
            return
        missing = _MISSING.search(done.stderr)
        if not missing:
            raise SystemExit(f"下载依赖失败：\n{done.stderr[-3000:]}")
        # a source-only dependency: build its wheel once (pure Python, so any platform can use it)
        built = _pip("wheel", "--no-deps", "-w", str(wheels), missing.group(1), log=log)
        if built.returncode:
            raise SystemExit(f"依赖 {missing.group(1)} 没有适用于 {target.label} 的 wheel，且无法从源码构建：\n"
                             f"{built.stderr[-2000:]}")
    raise SystemExit("依赖解析重试次数过多，见日志")


def build(out: Path, *, target: Target, extras: tuple[str, ...] = ()) -> Path:
    """Build the bundle archive in ``out``; returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"shujian-{__version__}-{target.label}"
    with tempfile.TemporaryDirectory(prefix="shujian-bundle-") as tmp:
        root = Path(tmp) / name
        wheels = root / "wheels"
        wheels.mkdir(parents=True)
        log = Path(tmp) / "pip.log"
        wheel = project_wheel(wheels, log)
        extra = f"[{','.join(extras)}]" if extras else ""
        dependencies(f"{wheel}{extra}", wheels, target, log)
        py_major, py_minor = target.python.split(".")[:2]
        script = root / "install.sh"
        script.write_text(INSTALL_SH.format(version=__version__, py_major=py_major, py_minor=py_minor,
                                            requirement=f"shujian{extra}=={__version__}"), encoding="utf-8")
        script.chmod(0o755)
        (root / "wheels.txt").write_text("\n".join(sorted(p.name for p in wheels.glob("*.whl"))) + "\n",
                                         encoding="utf-8")
        archive = out / f"{name}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(root, arcname=name)
        shutil.copy(log, out / f"{name}.pip.log")
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shujian.bundle", description="构建离线安装包（内网部署）")
    parser.add_argument("out", type=Path, help="输出目录")
    parser.add_argument("--platform", default=None,
                        help="目标平台（pip 平台标签，如 manylinux2014_x86_64、manylinux2014_aarch64）；默认本机")
    parser.add_argument("--python", default=f"{sys.version_info.major}.{sys.version_info.minor}",
                        help="目标 Python 版本，如 3.11；默认本机版本")
    parser.add_argument("--extras", default="", help="附加功能，逗号分隔，如 spark")
    args = parser.parse_args(argv)
    extras = tuple(e.strip() for e in args.extras.split(",") if e.strip())
    archive = build(args.out, target=Target(args.platform, args.python), extras=extras)
    print(f"离线安装包：{archive}（{archive.stat().st_size / 1e6:.0f} MB）")  # noqa: T201 (a command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
