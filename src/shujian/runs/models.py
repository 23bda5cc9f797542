"""Resolving a model by id or file, and its immutable version identity (canonical hash)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..db.models import ModelVersion
from ..errors import NotFound
from ..spec import Model, load_model


def canonical(model: Model) -> str:
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def model_hash(model: Model) -> str:
    return hashlib.sha256(canonical(model).encode("utf-8")).hexdigest()


def resolve_model(ref: str, session=None) -> tuple[Model, bool]:
    """A model from a file path, the workspace's own models, or the built-in library."""
    from .. import models_library

    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.is_file():
        if not path.is_file():
            raise NotFound(f"模型文件 {path} 不存在", hint="检查路径，或用模型编号运行内置模型")
        return load_model(path), False
    if session is not None:
        mv = (session.query(ModelVersion).filter_by(model_id=ref, builtin=False)
              .order_by(ModelVersion.id.desc()).first())
        if mv is not None:
            return load_model(json.loads(mv.source)), False
    return models_library.get_model(ref), True


def record_version(session, model: Model, builtin: bool) -> ModelVersion:
    digest = model_hash(model)
    mv = session.query(ModelVersion).filter_by(model_id=model.id, hash=digest).one_or_none()
    if mv is None:
        mv = ModelVersion(model_id=model.id, version=model.version, hash=digest, source=canonical(model),
                          builtin=builtin)
        session.add(mv)
        session.flush()
    return mv
