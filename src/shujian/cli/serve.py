"""``shujian serve`` — the web application (REST API + browser UI) on uvicorn."""

from __future__ import annotations

import typer

from .common import workspace

app = typer.Typer(help="网页界面：REST 接口与浏览器界面", add_completion=False)


@app.callback(invoke_without_command=True)
def serve(host: str = typer.Option("127.0.0.1", "--host", help="监听地址；内网共享时用 0.0.0.0"),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口"),
          demo_accounts: bool = typer.Option(None, "--demo-accounts/--no-demo-accounts",
                                             help="建立浙江院机构树与演示账号（默认仅开发/演示环境；"
                                                  "正式环境 SHUJIAN_ENV=production 拒绝）")) -> None:
    """启动网页界面与接口（默认 http://127.0.0.1:8000/）。"""
    from ..web.server import serve_workspace

    serve_workspace(workspace(), host, port, demo_accounts=demo_accounts)

