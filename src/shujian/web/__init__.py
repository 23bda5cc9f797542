"""The web application (网页界面): a FastAPI REST API under ``/api/v1`` and server-rendered zh-CN pages.

Thin by design: routes parse input, call the services and render.  ``create_app(settings)`` builds
the app; :mod:`shujian.web.security` is where login, permissions and org scope plug in.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """Build the FastAPI application (see :func:`shujian.web.app.create_app`)."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
