"""Serving the web application with uvicorn (``shujian serve``; the end of ``shujian demo``)."""

from __future__ import annotations

from rich.console import Console

from ..workspace import Workspace

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def demo_accounts_for(ws: Workspace, wanted: bool | None) -> list[dict]:
    """The demo accounts to seed before serving: by default only in development (``SHUJIAN_ENV``);
    asking for them in production is refused — their password is printed and the switcher needs none."""
    from ..errors import ConfigError
    from .accounts import ensure_demo_accounts

    development = ws.settings.env == "development"
    if wanted and not development:
        raise ConfigError(f"正式环境（SHUJIAN_ENV={ws.settings.env}）不建立演示账号：演示账号口令公开",
                          hint="去掉 --demo-accounts；用 shujian user create --admin 建立系统管理员，再由其新建用户")
    return ensure_demo_accounts(ws) if (development if wanted is None else wanted) else []


def serve_workspace(ws: Workspace, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                    demo_accounts: bool | None = None) -> None:
    """Serve ``ws`` until Ctrl-C, after printing the address and (in development) the demo accounts."""
    import uvicorn

    from .accounts import DEMO_PASSWORD
    from .app import create_app

    console = Console(stderr=True)
    accounts = demo_accounts_for(ws, demo_accounts)
    app = create_app(workspace=ws)
    shown = "localhost" if host in ("0.0.0.0", "127.0.0.1") else host
    console.print(f"[bold]数检网页界面：[/]http://{shown}:{port}/   接口文档：http://{shown}:{port}/api/docs",
                  highlight=False)
    if accounts:
        console.print(f"演示账号（登录口令均为 {DEMO_PASSWORD}；开发环境未登录时也可在页面右上角切换账号）：",
                      highlight=False)
        for u in accounts:
            console.print(f"  {u['username']:<12} {u['name']}  {u['org']}  {'、'.join(u['roles'])}", highlight=False)
    console.print("按 Ctrl-C 停止。", highlight=False)
    uvicorn.Server(uvicorn_config(app, ws, host, port)).run()


def uvicorn_config(app, ws: Workspace, host: str, port: int):
    """The server configuration: one process per workspace (DuckDB lets one process write the warehouse;
    background jobs live in this process), and the client address taken from X-Forwarded-For only when
    the request comes from a trusted reverse proxy (SHUJIAN_TRUSTED_PROXIES), so audit records name the
    real client and a client cannot forge its address."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level="warning", workers=1, proxy_headers=True,
                          forwarded_allow_ips=ws.settings.trusted_proxies, server_header=False)
