"""The demo city generator (演示城市): synthetic agency data with planted violations and ground truth."""

from __future__ import annotations

from shujian.demo.core import CityContext, Manifest, generate

__all__ = ["CityContext", "Manifest", "generate"]
