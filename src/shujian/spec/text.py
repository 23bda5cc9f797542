"""Text rules (文本规则) of the model language: context-aware screening of free text.

A rule is data: include terms, proximity pairs, exclusion terms, idiom/negation lists and
whole-word terms.  ``TextRule`` is shared by the ``text`` step of a model, by keyword subscriptions
(关键词订阅) and by the topic rules; its matcher lives in :mod:`shujian.text.matcher`.

How a message matches (the same everywhere):

1. every occurrence of every term is found in the cleaned text;
2. an occurrence inside an ``ignore`` phrase (惯用语: 少跑路, 关门闭窗, 水电费 …) is dropped, and so
   is one whose context matches an ``unless`` clause (否定/语境: 关门 next to 电梯, 没有 before 跑路);
3. a ``whole_word`` term counts only when it starts and ends on a word boundary of the jieba
   segmentation (电费 is not a word of 水电费);
4. the message matches when an ``any`` term or a ``near`` pair survives, every ``all`` term
   survives and no ``exclude`` term survives.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"       # as in spec.model (that module imports this one)


class Spec(BaseModel):
    """Unknown keys are refused, as everywhere in the model language."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

MAX_TERMS = 500
REGEX_MARK = "~"            # a term written ``~模式`` is a regular expression
_SPLIT = re.compile(r"[|｜、,，;；\n]+")
# Constructs that RE2 (DuckDB) or Java (Spark) read differently or not at all: a regex term must
# mean the same in the SQL prefilter as in the matcher.
_NOT_PORTABLE = re.compile(r"\(\?[=!<]|\(\?P|\\[1-9]|\\[uUxN]|\\[pP]\{|\(\?[a-zA-Z]")


def split_terms(value: str | list[str]) -> list[str]:
    """Terms from a list or from one string separated by ``|``, ``、``, ``，`` or new lines
    (a regular-expression term ``~…`` is kept whole only inside a list).

    >>> split_terms("预付|充值、办卡")
    ['预付', '充值', '办卡']
    """
    items = _SPLIT.split(value) if isinstance(value, str) else value
    out: list[str] = []
    for item in items:
        term = str(item).strip()
        if term and term not in out:
            check_term(term)
            out.append(term)
    return out


def is_regex(term: str) -> bool:
    return term.startswith(REGEX_MARK) and len(term) > 1


def check_term(term: str) -> None:
    """Refuse a regex term that does not compile or would not mean the same in SQL (RE2/Java)."""
    if not is_regex(term):
        return
    pattern = term[1:]
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"正则词“{term}”写法有误：{exc}") from None
    if _NOT_PORTABLE.search(pattern):
        raise ValueError(f"正则词“{term}”使用了环视、反向引用、\\u 转义或内联标志，"
                         "DuckDB/Spark 的正则不支持；字符类请直接写汉字，如 [一-龥]")
    if compiled.match(""):
        raise ValueError(f"正则词“{term}”可以匹配空文本，请至少要求一个字符")


_PORTABLE_SPECIAL = frozenset("\\.^$|?*+()[]{}")


def _escape(term: str) -> str:
    """A literal term as a regex that Python, RE2 (DuckDB) and Java (Spark) read the same way."""
    return "".join(f"\\{ch}" if ch in _PORTABLE_SPECIAL else ch for ch in term)


def prefilter_pattern(terms: list[str], *, for_sql: bool = True) -> str:
    """One alternation of the terms (regex terms as groups), longest literal first.

    ``for_sql`` adds the full-width form of ASCII letters and digits, which cleaning folds to
    half-width before the matcher runs but the SQL prefilter sees raw.
    """
    literal = sorted((t for t in terms if not is_regex(t)), key=len, reverse=True)
    parts = []
    for t in literal:
        parts.append(_escape(t))
        wide = _full_width(t) if for_sql else t
        if wide != t:
            parts.append(_escape(wide))
    parts += [f"(?:{t[1:]})" for t in terms if is_regex(t)]
    return "|".join(parts)


def _full_width(term: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)


class _Terms(Spec):
    """Term lists may be written as one string (``预付|充值|办卡``); blanks and repeats are dropped."""

    term_fields: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _split(cls, v, info):
        if info.field_name in cls.term_fields and isinstance(v, str | list):
            return split_terms(v)
        return v


class Near(_Terms):
    """Proximity (邻近): a term of ``a`` and a term of ``b`` at most ``within`` characters apart."""

    term_fields: ClassVar[tuple[str, ...]] = ("a", "b")
    a: list[str] = Field(min_length=1, description="一侧的词，如 预付、充值、办卡")
    b: list[str] = Field(min_length=1, description="另一侧的词，如 退、跑路、关门")
    within: int = Field(30, ge=0, le=500, description="两词之间最多相隔的字数")
    ordered: bool = Field(False, description="a 侧的词必须在 b 侧之前")
    label: str = ""


class Unless(_Terms):
    """Context that cancels an occurrence (语境排除): a ``context`` word within ``before`` characters
    before or ``after`` characters after it — negation (没有 跑路) or another sense (电梯 关门)."""

    term_fields: ClassVar[tuple[str, ...]] = ("terms", "context")
    terms: list[str] | None = Field(None, description="作用于哪些词；省略时作用于所有命中词")
    context: list[str] = Field(min_length=1, description="语境词，如 电梯、门窗、没有")
    before: int = Field(0, ge=0, le=200, description="命中词之前多少字内")
    after: int = Field(0, ge=0, le=200, description="命中词之后多少字内")
    label: str = Field("", description="说明，显示在命中解释中，如 否定、电梯关门")

    @model_validator(mode="after")
    def _window(self) -> Unless:
        if self.before == 0 and self.after == 0:
            raise ValueError("before 与 after 至少一个大于 0（语境窗口的字数）")
        return self


class TextRule(_Terms):
    """A context-aware text rule; see the module docstring for how a message matches."""

    term_fields: ClassVar[tuple[str, ...]] = ("any", "all", "exclude", "ignore")
    name: str = Field("", description="规则名称，显示在命中解释中")
    source: str | None = Field(None, description="取自规则库时的规则名（{use: 名} 展开后保留，界面据此显示）")
    any: list[str] = Field(default_factory=list, description="包含词：出现任一即命中")
    all: list[str] = Field(default_factory=list, description="必含词：必须全部出现")
    near: list[Near] = Field(default_factory=list, description="邻近：两组词在若干字以内同时出现")
    exclude: list[str] = Field(default_factory=list, description="排除词：出现任一则整条不命中")
    ignore: list[str] = Field(default_factory=list,
                              description="惯用语/成语：落在这些短语里的命中不算（少跑路、关门闭窗、水电费）")
    unless: list[Unless] = Field(default_factory=list, description="语境排除（否定词、其他含义）")
    whole_word: bool | list[str] = Field(
        False, description="按分词整词匹配：true 对所有两字以上的词生效，或列出要整词匹配的词")

    @model_validator(mode="after")
    def _something(self) -> TextRule:
        if not (self.any or self.all or self.near):
            raise ValueError("文本规则至少需要 any（包含词）、all（必含词）或 near（邻近）之一")
        if len(self.terms()) > MAX_TERMS:
            raise ValueError(f"文本规则的词太多（超过 {MAX_TERMS} 个）")
        if isinstance(self.whole_word, list):
            self.whole_word = split_terms(self.whole_word)
        return self

    def terms(self) -> list[str]:
        """Every term that is searched for (include, near, exclude), without duplicates."""
        out = [*self.any, *self.all, *self.exclude]
        for n in self.near:
            out += [*n.a, *n.b]
        return list(dict.fromkeys(out))

    def positive_terms(self) -> list[str]:
        """Terms of which a matching message contains at least one (the prefilter)."""
        out = list(self.any) + [t for n in self.near for t in n.a] + list(self.all)
        return list(dict.fromkeys(out))


class TextStep(Spec):
    """文本规则步骤: screen free text with a rule and/or extract the merchant named in it.

    With a ``rule`` only matching rows are kept (``keep: all`` keeps every row; non-matching rows
    then have NULL explanations).  The step adds the explanation (which rule, which words, where;
    JSON), the matched words and, when asked, the merchant name found in the text and its
    normalised key (``merchant``/``merchant_key``) or the normalised key of the field read as a
    name (``name_key``, for the registry side of a match).  ``name_key_among: step.column`` says
    that only keys found in that column of an earlier step are needed (the step joins on them): a
    name whose key is not among them may get NULL, so a large registry computes keys only for the
    names that can join.
    """

    field: str | None = Field(None, description="文本列")
    fields: list[str] | None = Field(None, description="多个文本列（依次用“。”连接，如 主题、详情）")
    rule: TextRule | None = Field(None, description="文本规则；或 {use: 规则库中的规则名}，如 {use: prepaid-card}")
    keep: Literal["matched", "all"] = "matched"
    explain: str = Field("text_match", pattern=NAME, description="命中解释列（JSON）")
    words: str = Field("text_words", pattern=NAME, description="命中词列")
    merchant: str | None = Field(None, pattern=NAME, description="从文本中抽取的商户名称列")
    merchant_key: str | None = Field(None, pattern=NAME, description="商户名称的规范化键列")
    name_key: str | None = Field(None, pattern=NAME, description="把文本列当作名称时的规范化键列")
    name_key_among: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$",
        description="只需要出现在另一步骤某列中的名称键（写作 步骤.列，如 per_merchant.mkey）："
                    "其余名称的键可以为空，按名称键连接的结果不变，大登记表只为可能连上的名称计算键")

    @field_validator("rule", mode="before")
    @classmethod
    def _library(cls, v):
        """``{use: prepaid-card}``: the built-in rule of that name (copied in, so the model's hash
        changes when the library rule does)."""
        if isinstance(v, dict) and set(v) == {"use"}:
            from shujian.text.library import rule_names, rule_source

            if v["use"] not in rule_names():
                raise ValueError(f"文本规则库中没有“{v['use']}”（可用：{'、'.join(rule_names())}）")
            return rule_source(v["use"])
        return v

    @model_validator(mode="after")
    def _shape(self) -> TextStep:
        if (self.field is None) == (not self.fields):
            raise ValueError("需要且只能给出 field 或 fields 之一")
        if self.rule is None and not (self.merchant or self.merchant_key or self.name_key):
            raise ValueError("文本步骤需要 rule（文本规则），或 merchant/merchant_key/name_key 之一")
        if self.name_key_among and not self.name_key:
            raise ValueError("name_key_among 只用于 name_key（名称键列）：请同时给出 name_key，或删去 name_key_among")
        return self

    @property
    def among(self) -> tuple[str, str] | None:
        """``name_key_among`` as (step, column)."""
        if not self.name_key_among:
            return None
        step, column = self.name_key_among.split(".", 1)
        return step, column

    @property
    def text_fields(self) -> list[str]:
        return [self.field] if self.field is not None else list(self.fields or [])

    def outputs(self) -> dict[str, str]:
        """Output kind → column name for the columns this step adds."""
        out: dict[str, str] = {}
        if self.rule is not None:
            out.update(explain=self.explain, words=self.words)
        for kind in ("merchant", "merchant_key", "name_key"):
            if getattr(self, kind):
                out[kind] = getattr(self, kind)
        return out


def first_error(exc) -> str:
    """The first problem of a pydantic ValidationError as one Chinese line (place: message)."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "rule")
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    return f"{where}：{msg}" if where else msg
