"""Records produced by the judgment parser (文书解析结果)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any

#: the seven parts of a judgment, in document order
SECTION_NAMES = ("首部", "当事人", "审理经过", "事实", "本院认为", "判决结果", "尾部")


@dataclass
class Span:
    """A character range ``[start, end)`` in the (tag-stripped) judgment text."""

    start: int
    end: int


@dataclass
class Prior:
    """A prior conviction (前科) read from the defendant's header paragraph."""

    charge: str | None
    penalty_type: str | None = None
    term_months: int | None = None
    probation_months: int | None = None  # 宣告缓刑: the term was not served unless the probation was revoked
    judgment_date: str | None = None
    release_date: str | None = None
    span: Span | None = None


@dataclass
class Custody:
    """A compulsory measure (强制措施) with its date: 刑事拘留, 逮捕, 取保候审, 监视居住."""

    measure: str
    date: str | None
    span: Span | None = None


@dataclass
class ChargePenalty:
    """One count of the verdict: the charge and the penalty for that count alone.

    ``joint_*`` say that an accessory penalty written once for several counts covers this count, which
    has none of its own: the fine of ``决定执行…并处罚金`` (数罪并罚) or of one penalty written for
    ``犯盗窃罪、诈骗罪``.  A model asking "was a fine imposed for this count" reads ``fine_yuan`` or
    ``joint_fine_yuan``.
    """

    charge: str
    penalty_type: str | None = None
    term_months: int | None = None
    probation_months: int | None = None
    fine_yuan: int | None = None
    confiscation: bool = False
    deprivation_months: int | str | None = None
    joint_fine_yuan: int | None = None
    joint_confiscation: bool = False
    joint_deprivation: bool = False


@dataclass
class Defendant:
    """One natural-person defendant (被告人) with the executed penalty after 数罪并罚."""

    name: str
    gender: str | None = None
    birth_date: str | None = None
    age_at_offence: int | None = None  # 犯罪时年龄: full years on the judgment's offence date
    ethnicity: str | None = None
    id_number: str | None = None
    charges: list[str] = field(default_factory=list)
    counts: list[ChargePenalty] = field(default_factory=list)
    penalty_type: str | None = None
    term_months: int | None = None
    probation_months: int | None = None
    fine_yuan: int | None = None
    confiscation: bool = False
    deprivation_months: int | str | None = None
    recidivist: bool = False
    surrender: bool = False
    meritorious: bool = False
    circumstances: list[str] = field(default_factory=list)
    priors: list[Prior] = field(default_factory=list)
    custody: list[Custody] = field(default_factory=list)
    sentence_start: str | None = None
    sentence_end: str | None = None
    header_span: Span | None = None
    verdict_spans: list[Span] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Unit:
    """A defendant organisation (被告单位)."""

    name: str
    charges: list[str] = field(default_factory=list)
    fine_yuan: int | None = None
    header_span: Span | None = None


@dataclass
class Fact:
    """A dated fact found in the facts section (事实), kept with its span for highlighting."""

    kind: str
    value: str
    span: Span


@dataclass
class Judgment:
    """A parsed criminal judgment (刑事判决书/裁定书). ``error`` is set when the text is not one."""

    id: str | None
    doc_type: str | None = None
    case_number: str | None = None
    case_year: int | None = None
    court_code: str | None = None
    type_code: str | None = None
    case_sequence: int | None = None
    procedure: str | None = None
    court: str | None = None
    judgment_date: str | None = None
    prosecutor: str | None = None
    private_prosecutor: str | None = None
    offence_date: str | None = None
    articles: list[str] = field(default_factory=list)
    defendants: list[Defendant] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    sections: dict[str, Span] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    confidence: float = 1.0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    text_length: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the CLI contract: see docs/judgments.md)."""
        return _plain(self)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
