"""The built-in model library (内置模型库): YAML files next to this module, one per model.

``list_models()`` loads every ``*.yaml`` here (sorted by id), ``get_model(id)`` one of them and
``model_path(id)`` tells where its file is.  Each model has a page ``docs/models/<id>.md``.
"""

from __future__ import annotations

import threading
from pathlib import Path

from shujian.errors import NotFound
from shujian.spec import Model, load_model

LIBRARY_DIR = Path(__file__).parent
_PARSED: dict[str, tuple[tuple[int, int], Model]] = {}     # model id → (file stamp, parsed model): get_model
_LOCK = threading.Lock()

__all__ = ["LIBRARY_DIR", "get_model", "list_ids", "list_models", "model_path"]


def list_ids() -> list[str]:
    """Ids of the built-in models (file stems), sorted."""
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))


def model_path(model_id: str) -> Path:
    """Path of the YAML file of built-in model ``model_id``."""
    path = LIBRARY_DIR / f"{model_id}.yaml"
    if not path.is_file():
        raise NotFound(f"内置模型库中没有模型 '{model_id}'",
                       hint=f"可用的模型：{', '.join(list_ids()) or '（无）'}")
    return path


def get_model(model_id: str) -> Model:
    """The built-in model ``model_id`` (validated; file id and declared id must agree).

    Parsed once per version of its file (modification time and size) and handed out as a deep copy:
    reading and validating the YAML costs ≈ 15 ms a model, a copy ≈ 0.4 ms, and every page listing
    the library read all of them again.  A caller may change its copy freely."""
    path = model_path(model_id)
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    with _LOCK:
        held = _PARSED.get(model_id)
    if held is None or held[0] != stamp:
        model = load_model(path)
        if model.id != model_id:
            raise NotFound(f"内置模型文件 {path.name} 声明的 id 为 '{model.id}'，与文件名不一致",
                           hint="把文件名改为 <id>.yaml")
        held = (stamp, model)
        with _LOCK:
            _PARSED[model_id] = held
    return held[1].model_copy(deep=True)


def list_models() -> list[Model]:
    """Every built-in model, sorted by id."""
    return [get_model(i) for i in list_ids()]
