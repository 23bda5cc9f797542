"""An org's document settings (文号): 机关代字, the 文号 format and its first number, the default 主送机关.

Stored per org (``org_settings``), edited by the org's own 数字办 or 系统管理员 (a 系统管理员 also for
the orgs below theirs).  The 检察建议书 draft (:mod:`shujian.docgen.suggestion`) numbers a measure that
has no 文号 of its own with :func:`format_number`: the format's ``{代字}`` ``{条线}`` ``{年}`` ``{号}``
filled from the stored 代字 (else the one derived from the org's name), the 业务条线's 部门代字, the year,
and the first number plus the measure's place among the org's 检察建议 of that year.
"""

from __future__ import annotations

import re
import string
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from ..db.base import utcnow
from ..db.models import Org, OrgSetting
from ..errors import PermissionDenied, Problem, ValidationFailed
from .roles import ADMIN, DIGITAL
from .service import descendants, find_org, find_user

DEFAULT_FORMAT = "{代字}{条线}建〔{年}〕{号}号"
PLACES = {"代字": "机关代字", "条线": "业务条线的部门代字", "年": "年份", "号": "顺序号"}


@dataclass
class DocSettings:
    """The settings of one org as stored (None: not set, the built-in rule applies)."""

    org: str
    org_name: str
    abbreviation: str | None = None
    number_format: str | None = None
    first_number: int | None = None
    recipient: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def read(s: Session, org: Org) -> DocSettings:
    """``org``'s settings (all None when never saved)."""
    row = s.get(OrgSetting, org.id)
    out = DocSettings(org.code, org.name)
    if row is not None:
        out.abbreviation, out.number_format, out.first_number = row.abbreviation, row.number_format, row.first_number
        out.recipient, out.updated_by = row.recipient, row.updated_by
        out.updated_at = row.updated_at.isoformat() if row.updated_at else None
    return out


def check_format(text: str) -> list[Problem]:
    """Problems of a 文号 format: unknown ``{…}`` places, a missing ``{号}``, unbalanced braces."""
    try:
        names = [name for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return [Problem("number_format", f"文号格式“{text}”的花括号不成对；占位写作 {{代字}}、{{条线}}、{{年}}、{{号}}")]
    problems = [Problem("number_format", f"文号格式中的“{{{n}}}”不是可用的占位；可用：{'、'.join('{' + k + '}' for k in PLACES)}")
                for n in dict.fromkeys(names) if n not in PLACES]
    if "号" not in names:
        problems.append(Problem("number_format", "文号格式中缺少顺序号“{号}”，例如 {代字}{条线}建〔{年}〕{号}号"))
    return problems


def format_number(fmt: str | None, *, abbreviation: str, line_abbr: str, year: int, number: int) -> str:
    """A 文号 from ``fmt`` (the built-in format when None).

    >>> format_number(None, abbreviation="椒检", line_abbr="刑执", year=2026, number=12)
    '椒检刑执建〔2026〕12号'
    """
    return (fmt or DEFAULT_FORMAT).format(代字=abbreviation, 条线=line_abbr, 年=year, 号=number)


class OrgSettingsService:
    """Read and save an org's document settings (the acting user's org unless another is named)."""

    def __init__(self, ws):
        self.ws = ws

    def get(self, org: str | int) -> DocSettings:
        with self.ws.db.unit_of_work() as s:
            return read(s, find_org(s, org))

    def save(self, org: str | int, actor: str, *, abbreviation: str | None = None, number_format: str | None = None,
             first_number: str | int | None = None, recipient: str | None = None) -> DocSettings:
        """Store the settings (blank: not set); every problem is reported at once, located by field."""
        with self.ws.db.unit_of_work() as s:
            target, user = find_org(s, org), find_user(s, actor)
            _may_edit(s, user, target)
            values, problems = _clean(abbreviation, number_format, first_number, recipient)
            if problems:
                raise ValidationFailed(problems, title=f"{target.name}的文书设置有误，未保存")
            row = s.get(OrgSetting, target.id) or OrgSetting(org_id=target.id)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_by, row.updated_at = user.username, utcnow()
            s.add(row)
            s.flush()
            return read(s, target)


def _may_edit(s: Session, user, target: Org) -> None:
    """The org's own 数字办 or 系统管理员; a 系统管理员 also for the orgs below."""
    roles = set(user.roles or [])
    own = user.org_id == target.id and roles & {DIGITAL, ADMIN}
    below = ADMIN in roles and user.org_id is not None and target.id in descendants(s, user.org_id)
    if not (own or below):
        raise PermissionDenied(f"{user.name}不能修改{target.name}的文书设置",
                               hint="文书设置由本院的数字办或系统管理员修改（系统管理员也可修改下级院的）")


def _clean(abbreviation, number_format, first_number, recipient) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    abbr = (abbreviation or "").strip() or None
    if abbr and (len(abbr) > 16 or re.search(r"[\s{}〔〕]", abbr)):
        problems.append(Problem("abbreviation", f"机关代字“{abbr}”应为不超过 16 个字、不含空格和括号的简称，如 椒检"))
    fmt = (number_format or "").strip() or None
    if fmt:
        problems += check_format(fmt)
    number = None
    text = str(first_number).strip() if first_number is not None else ""
    if text:
        if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
            problems.append(Problem("first_number", f"起始编号“{text}”应为 1 到 1000000 之间的整数"))
        else:
            number = int(text)
    to = (recipient or "").strip() or None
    if to and len(to) > 200:
        problems.append(Problem("recipient", "默认主送机关不超过 200 个字"))
    return {"abbreviation": abbr, "number_format": fmt, "first_number": number, "recipient": to}, problems
