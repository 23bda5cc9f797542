"""Generation at scale: vectorised identifiers, batched writes with progress, ``demo --generate-only``."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from stdnum.cn import ric, uscc

from shujian.cli.main import main
from shujian.demo.core import CityContext, Manifest, fmt, generate, resident_ids, uscc_codes
from shujian.demo.pipeline import SCALES

JUSTICE = {"刑事判决被告人", "刑事判决罪名", "刑事判决前科", "民事案件", "公安案件", "公安涉案人员"}


def test_ids_stay_unique_and_valid_when_the_home_city_runs_out_of_sequence_codes(tmp_path: Path) -> None:
    ctx = CityContext("small", 5, tmp_path)
    ctx.use_group("person")
    born = (date(1990, 1, 1), date(1990, 1, 2))
    # 8 home-city codes × 2 days × 499 sequence codes × 2 sexes ≈ 16,000 home IDs: the rest must move
    ids = ctx.people(20_000, born=born, local_share=1.0)["身份证号"]
    assert len(set(ids)) == 20_000
    assert all(ric.is_valid(i) for i in ids)
    assert {ric.get_birth_date(i) for i in ids} == set(born)
    away = sum(not i.startswith(("3310", "3326")) for i in ids)
    assert 3_000 < away < 8_000
    again = ctx.people(5_000, born=born, local_share=1.0)["身份证号"]
    assert not set(again) & set(ids)


def test_check_characters_agree_with_stdnum() -> None:
    rng = np.random.default_rng(0)
    bodies = 33_100_219_900_101_000 // 10 + rng.integers(0, 10**6, 3_000)
    for body, full in zip(bodies.tolist(), resident_ids(bodies), strict=True):
        assert full == f"{body:017d}" + ric.calc_check_digit(f"{body:017d}0")
    codes = uscc_codes(np.full(3_000, 331002), rng.integers(10_000_000, 99_999_999, 3_000))
    assert all(uscc.is_valid(c) for c in codes)
    assert any(c[16] == "X" for c in codes)          # 组织机构代码 check character 10 → X


def test_companies_of_different_groups_never_share_a_uscc(tmp_path: Path) -> None:
    issued = []
    for part, group in enumerate(("person", "justice")):
        ctx = CityContext("small", 1, tmp_path, part=part, parts=2)
        ctx.use_group(group)
        issued += [c for size in (20_000, 1, 7_000) for c in ctx.companies(size)["统一社会信用代码"]]
    assert len(set(issued)) == len(issued) == 2 * 27_001
    assert all(uscc.is_valid(c) for c in issued[::20])


def test_fmt_formats_like_str_format() -> None:
    k = np.array([0, 7, 123456])
    words = np.array(["椒江", "黄岩", "临海"], dtype=object)
    days = np.array(["2024-01-05", "2025-12-31", "2023-07-09"], dtype="datetime64[D]")
    got = fmt("台{w}〔{d}〕{k:06d}号", w=words, d=days, k=k)
    assert got.tolist() == [f"台{w}〔{d}〕{n:06d}号" for w, d, n in zip(words, days.astype(str), k, strict=True)]
    assert fmt("同一", 2).tolist() == ["同一", "同一"]


def test_progress_is_reported_per_batch_and_adds_up_to_the_manifest(tmp_path: Path) -> None:
    seen: list[int] = []
    manifest = generate("small", 3, tmp_path, groups=["justice"], progress=lambda rows, _mb: seen.append(rows))
    assert len(seen) > 5 and seen == sorted(seen)
    assert seen[-1] == manifest.total_rows
    for info in manifest.datasets:
        assert pq.ParquetFile(tmp_path / info.file).metadata.num_rows == info.rows


def _digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.iterdir()):
        if p.suffix == ".parquet" or p.suffix == ".json":
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_groups_in_parallel_processes_give_the_same_city(tmp_path: Path) -> None:
    one = generate("small", 4, tmp_path / "one", workers=1)
    two = generate("small", 4, tmp_path / "two", workers=2)
    assert [d.file for d in one.datasets] == [d.file for d in two.datasets]
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")
    assert not list((tmp_path / "two").glob("_*"))              # group-prefixed files renamed
    ids = set()
    for info in two.datasets:                                    # the groups' people never share an ID
        if "身份证号" in [c["name"] for c in info.columns]:
            ids |= {(info.name, i) for i in pq.read_table(tmp_path / "two" / info.file, columns=["身份证号"])
                    .column(0).to_pylist()}
    by_group = {}
    for name, i in ids:
        group = "justice" if name in JUSTICE else "person"
        by_group.setdefault(group, set()).add(i)
    assert by_group["person"] and by_group["justice"]
    assert not by_group["person"] & by_group["justice"]


def test_generate_only_writes_the_city_without_touching_a_workspace(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "ws"))
    out = tmp_path / "city"
    args = ["demo", "--scale", "small", "--seed", "9", "--generate-only", "--out", str(out), "--format", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    manifest = Manifest.load(out)
    assert report["rows"] == manifest.total_rows > 90_000
    assert report["datasets"] == len(manifest.datasets) == len(list(out.glob("*.parquet")))
    assert report["peak_rss_mb"] > 0 and (out / "ground_truth.json").exists()
    assert not (tmp_path / "ws").exists()
    stamp = (out / "manifest.json").stat().st_mtime_ns
    assert main(args) == 0                                       # same scale and seed: reused
    assert (out / "manifest.json").stat().st_mtime_ns == stamp


def test_every_scale_up_to_province_is_accepted_and_others_are_refused(tmp_path: Path, capsys) -> None:
    assert SCALES == ("small", "medium", "large", "province")
    assert main(["demo", "--scale", "huge", "--generate-only", "--out", str(tmp_path)]) == 2
    assert "province" in capsys.readouterr().err


def test_killed_generation_leaves_no_group_processes(tmp_path: Path) -> None:
    """SIGKILL of a parallel generation (no clean-up can run in it): its group processes end too."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    code = ("import sys; from shujian.demo.core import generate; "
            "generate('large', 42, sys.argv[1], workers=2)")
    parent = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "city")])
    try:
        deadline = time.monotonic() + 60
        groups: list[psutil.Process] = []
        while time.monotonic() < deadline and not any(tmp_path.glob("city/_*")):
            time.sleep(0.2)                              # the group processes have started writing
        groups = psutil.Process(parent.pid).children(recursive=True)
        assert groups, "no group process started"
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    gone, alive = psutil.wait_procs(groups, timeout=20)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], [p.cmdline() for p in alive]
