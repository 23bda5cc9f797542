"""The model language (模型语言): pydantic spec, loader with located errors, JSON Schema."""

from __future__ import annotations

from shujian.spec.loader import json_schema, load_model
from shujian.spec.model import (
    STEP_KINDS,
    Aggregate,
    Compare,
    Components,
    Derive,
    Distinct,
    Input,
    Join,
    Keywords,
    Model,
    Output,
    Param,
    Select,
    Step,
    Subject,
    Union,
    Window,
)

__all__ = [
    "STEP_KINDS", "Aggregate", "Compare", "Components", "Derive", "Distinct", "Input", "Join",
    "Keywords", "Model", "Output", "Param", "Select", "Step", "Subject", "Union", "Window",
    "json_schema", "load_model",
]
