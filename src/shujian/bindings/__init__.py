"""数据绑定: a model's input roles bound to an org's own datasets and columns (see docs/data-import.md)."""

from __future__ import annotations

from .check import Expect, Issue, Resolution, expectations, validate
from .content import Inputs, apply_binding, default_inputs, normalise, parse_options
from .propose import ProposalRow, propose
from .service import Applied, BindingRefused, BindingService, applying_row, bound_for

__all__ = ["Applied", "BindingRefused", "BindingService", "Expect", "Inputs", "Issue", "ProposalRow", "Resolution",
           "applying_row", "apply_binding", "bound_for", "default_inputs", "expectations", "normalise",
           "parse_options", "propose", "validate"]
