"""Single sign-on hook (统一身份认证): OIDC or CAS in front of local accounts.

Only local accounts ship today.  A deployment that has a provincial 统一身份认证 platform implements
:class:`SSOProvider` and passes it to :class:`SSOIdentity`; the provider proves who the person is,
shujian still decides what they may do (roles and org come from the local ``users`` table, matched by
username), so the permission registry, org scope and audit stay the same.  See docs/security.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ExternalIdentity:
    """What an identity provider asserts about a person."""

    subject: str            # the provider's stable id (OIDC ``sub``, CAS ``user``)
    username: str           # mapped to users.username
    name: str | None = None
    provider: str = "oidc"


class SSOProvider(Protocol):
    """One identity provider: where to send the browser, and how to check what comes back."""

    name: str

    def login_url(self, state: str, redirect_uri: str) -> str:
        """The provider's login page for this browser (``state`` guards against CSRF)."""
        ...

    def complete(self, params: dict[str, str], state: str, redirect_uri: str) -> ExternalIdentity:
        """Verify the callback (OIDC: code → token, signature, ``aud``, ``nonce``; CAS: ticket validation)."""
        ...


class SSOIdentity:
    """Turns a verified :class:`ExternalIdentity` into a local session (same cookie as a password login)."""

    def __init__(self, provider: SSOProvider):
        self.provider = provider

    def session_for(self, ws, who: ExternalIdentity, ip: str | None = None) -> str:
        """A session token for the local user ``who.username``; refused if there is no such active user."""
        from ..orgs.service import OrgService
        from .accounts import AccountService, Unauthorized
        from .audit import AuditLog

        try:
            user = OrgService(ws).get_user(who.username)
        except Exception as exc:  # NotFound → the provider knows the person, shujian does not
            raise Unauthorized(f"统一身份认证用户 {who.username} 在本平台没有账号",
                               hint="请系统管理员先建立账号并分配院与角色") from exc
        if not user["active"]:
            raise Unauthorized(f"账号 {who.username} 已停用")
        AuditLog(ws).append("login", actor=who.username, org_id=user["org_id"], ip=ip,
                            detail={"provider": who.provider, "subject": who.subject})
        return AccountService(ws).start_session(who.username, ip=ip)
