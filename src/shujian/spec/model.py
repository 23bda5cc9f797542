"""The model language (模型语言): a supervision model as pydantic data.

A model is YAML/JSON data: metadata (业务条线, 监督点, 法律依据 …), parameters, input roles bound to
catalog datasets, a pipeline of named steps (or one expert ``sql:`` SELECT) and an output that turns
each row into one clue (线索).  Every class forbids unknown keys so a typo is an error, not a silent
no-op.  Expressions inside steps are strings in a small safe language (see ``spec.expr``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from shujian.spec.entity_step import EntityJoin  # the entity_join step kind (shujian.entity)
from shujian.spec.text import TextStep

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"            # parameter names: they become driver placeholders
SEMVER = r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$"

STEP_KINDS = ("filter", "join", "derive", "select", "aggregate", "window", "union", "distinct",
              "components", "entity_join", "text")


def _str_or_tag(v: Any) -> str:
    return "str" if isinstance(v, str) else "obj"


def str_or(model: type) -> Any:
    """``str | model`` as a tagged union, so errors name the real mistake, not both branches."""
    return Annotated[Annotated[str, Tag("str")] | Annotated[model, Tag("obj")],
                     Discriminator(_str_or_tag)]


class Spec(BaseModel):
    """Base: unknown keys are refused everywhere."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------- metadata, params, inputs
class LegalBasis(Spec):
    law: str = Field(description="法律/文件名称，如 社会保险法")
    article: str = Field("", description="条款，如 第八十八条")
    summary: str = Field("", description="要点")


class Param(Spec):
    type: Literal["int", "float", "str", "date", "bool", "list"]
    default: Any = None
    label: str = Field(description="中文名称，显示在界面和命令行帮助中")
    min: float | None = None
    max: float | None = None
    choices: list[Any] | None = None


class FieldBinding(Spec):
    """Bind a logical field to a column by name or by semantic type (e.g. ``{semantic: id_number}``)."""

    column: str | None = None
    semantic: str | None = None

    @model_validator(mode="after")
    def _one(self) -> FieldBinding:
        if (self.column is None) == (self.semantic is None):
            raise ValueError("需要且只能给出 column 或 semantic 之一")
        return self


class Input(Spec):
    dataset: str = Field(description="目录中的数据集名称，如 养老金发放")
    fields: dict[str, str_or(FieldBinding)] = Field(
        description="逻辑字段名 → 列名，或 {semantic: 语义类型}", min_length=1)
    optional: bool = False


# ---------------------------------------------------------------- conditions
class Compare(Spec):
    """``{field: 金额, op: ">", value: 100}``; right side is ``value``, ``param`` or ``expr``."""

    field: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "not_null"]
    value: Any = None
    param: str | None = None
    expr: str | None = None

    @model_validator(mode="after")
    def _rhs(self) -> Compare:
        given = sum(x is not None for x in (self.value, self.param, self.expr))
        if self.op in ("is_null", "not_null"):
            if given:
                raise ValueError(f"{self.op} 不需要 value/param/expr")
        elif given != 1:
            raise ValueError("需要且只能给出 value、param、expr 之一")
        if self.op == "between" and self.value is not None and (
                not isinstance(self.value, list) or len(self.value) != 2):
            raise ValueError("between 的 value 应为两个元素的列表 [下限, 上限]")
        return self


class Keywords(Spec):
    """Keyword screening over a text field: ``{field: 诉求内容, match: any, words: [预付卡, 跑路]}``."""

    field: str
    match: Literal["any", "all", "none"] = "any"
    words: list[str] | None = None
    param: str | None = Field(None, description="list 类型参数名，代替 words")

    @model_validator(mode="after")
    def _src(self) -> Keywords:
        if (self.words is None) == (self.param is None):
            raise ValueError("需要且只能给出 words 或 param 之一")
        if self.words is not None and not self.words:
            raise ValueError("words 不能为空")
        return self


class All(Spec):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Spec):
    any: list[Condition] = Field(min_length=1)


class Not(Spec):
    not_: Condition = Field(alias="not")


class KeywordCond(Spec):
    keywords: Keywords


def _cond_tag(v: Any) -> str | None:
    if isinstance(v, str):
        return "expr"
    if isinstance(v, dict):
        for key in ("all", "any", "not", "keywords"):
            if key in v:
                return key
        return "compare"
    if isinstance(v, BaseModel):
        return {All: "all", AnyOf: "any", Not: "not", KeywordCond: "keywords"}.get(type(v), "compare")
    return None


Condition = Annotated[
    Annotated[str, Tag("expr")]
    | Annotated[All, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[KeywordCond, Tag("keywords")]
    | Annotated[Compare, Tag("compare")],
    Discriminator(_cond_tag, custom_error_type="condition",
                  custom_error_message="条件应为表达式字符串或 all/any/not/keywords/比较 之一"),
]


# ---------------------------------------------------------------- steps
class JoinKey(Spec):
    left: str
    right: str


class Overlap(Spec):
    """Interval overlap of [left_start, left_end] and [right_start, right_end]; null end = open (today)."""

    left_start: str
    left_end: str
    right_start: str
    right_end: str


class Within(Spec):
    """``right`` date lies within N days/months of ``left`` date (direction after/before/either)."""

    left: str
    right: str
    days: int | str | None = Field(None, description="整数或参数引用 :name")
    months: int | str | None = None
    direction: Literal["after", "before", "either"] = "after"

    @model_validator(mode="after")
    def _amount(self) -> Within:
        if (self.days is None) == (self.months is None):
            raise ValueError("需要且只能给出 days 或 months 之一")
        return self


class Join(Spec):
    left: str | None = Field(None, description="左侧步骤或输入角色；默认上一步")
    right: str
    type: Literal["inner", "left", "semi", "anti"] = "inner"
    on: list[str_or(JoinKey)] = Field(default_factory=list)
    overlap: Overlap | None = None
    within: Within | None = None
    where: Condition | None = None
    right_prefix: str | None = Field(None, description="右侧非键列统一加前缀，避免重名")
    evidence: Literal["both", "left"] = Field(
        "both", description="证据取自哪一侧：both 两侧的行都作为线索证据；left 只取左侧，右侧只提供列"
                            "（如团伙编号、标签等由左侧数据推导出的查找表），可省去右侧证据的计算")


class Derive(Spec):
    columns: dict[str, str] = Field(min_length=1, description="新列名 → 表达式")


class Select(Spec):
    columns: list[str] | dict[str, str] = Field(description="保留的列，或 新列名 → 原列名")


class Aggregate(Spec):
    by: list[str] = Field(default_factory=list)
    measures: dict[str, str] = Field(min_length=1, description="列名 → 聚合表达式，如 sum(金额)")
    having: Condition | None = None


class RangePreceding(Spec):
    """Moving window by date (按日期的移动窗口): rows whose order_by date lies in
    [current date − N days/months, current date], rows with the same date included."""

    days: int | str | None = Field(None, description="整数或参数引用 :name")
    months: int | str | None = None

    @model_validator(mode="after")
    def _amount(self) -> RangePreceding:
        if (self.days is None) == (self.months is None):
            raise ValueError("需要且只能给出 days 或 months 之一")
        for amount in (self.days, self.months):
            if isinstance(amount, int) and amount < 0:
                raise ValueError("窗口长度不能为负数")
        return self


class Window(Spec):
    partition_by: list[str] = Field(default_factory=list)
    order_by: list[str] = Field(default_factory=list, description='列名，可加 " desc"')
    columns: dict[str, str] = Field(min_length=1, description="列名 → 窗口函数，如 row_number()")
    rows_preceding: int | None = Field(None, ge=0, description="移动窗口：当前行及之前 N 行")
    range_preceding: RangePreceding | None = Field(
        None, description="按日期的移动窗口：order_by 为一个升序日期列，统计该日期之前 N 天/月内（含当天）的行")

    @model_validator(mode="after")
    def _one_frame(self) -> Window:
        if self.rows_preceding is not None and self.range_preceding is not None:
            raise ValueError("rows_preceding 与 range_preceding 只能选一个")
        return self


class Union(Spec):
    steps: list[str] = Field(min_length=2)
    distinct: bool = False


class Distinct(Spec):
    columns: list[str] | None = Field(None, description="去重依据的列；默认全部列")


class Components(Spec):
    """Connected components (串并案): nodes linked when they share an event."""

    node: str
    event: str
    component: str = Field("component", description="输出的团伙编号列名")
    max_iterations: int = Field(8, ge=1, le=50)


class Step(Spec):
    id: str | None = Field(None, pattern=NAME, description="步骤名；省略时为 step1、step2 …")
    from_: str | None = Field(None, alias="from", description="读取的步骤或输入角色；默认上一步")
    filter: Condition | None = None
    join: Join | None = None
    derive: Derive | None = None
    select: Select | None = None
    aggregate: Aggregate | None = None
    window: Window | None = None
    union: Union | None = None
    distinct: Distinct | None = None
    components: Components | None = None
    entity_join: EntityJoin | None = None
    text: TextStep | None = None        # 文本规则 (shujian.spec.text)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in STEP_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"每个步骤需要且只能有一种类型（{'/'.join(STEP_KINDS)}），实际：{kinds or '无'}")
        if self.from_ is not None and kinds[0] in ("join", "union", "entity_join"):
            raise ValueError(f"{kinds[0]} 步骤不使用 from（join 用 left/right，union 用 steps）")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in STEP_KINDS if getattr(self, k) is not None)

    @property
    def body(self) -> Any:
        return getattr(self, self.kind)


# ---------------------------------------------------------------- output and model
class Subject(Spec):
    type: Literal["person", "organisation", "case"]
    key: str
    name: str | None = None


class RuleColumn(Spec):
    column: str


class Output(Spec):
    subject: Subject
    title: str
    facts: list[str] = Field(default_factory=list)
    rule: str_or(RuleColumn) = Field("R1", description="规则编号常量，或 {column: 列名}")
    measure: str | None = None


PLACEHOLDER = re.compile(r"\{([^{}|]+)(?:\|([a-z_]+))?\}")


class Model(Spec):
    id: str = Field(pattern=SLUG)
    name: str
    line: str = Field(description="业务条线，如 刑事执行检察")
    point: str = Field(description="监督点")
    legal_basis: list[LegalBasis] = Field(default_factory=list)
    description: str = ""
    rule_text: str = Field("", description="规则的文字表述")
    measure: str | None = Field(None, description="建议监督方式，如 检察建议")
    version: str = Field("1.0.0", pattern=SEMVER)
    params: dict[str, Param] = Field(default_factory=dict)
    inputs: dict[str, Input] = Field(default_factory=dict)
    steps: list[Step] | None = None
    sql: str | None = None
    output: Output
    labels: dict[str, str] = Field(default_factory=dict,
                                   description="模型自己计算的列的中文名（列名 → 中文），画布和线索要素显示它")

    @field_validator("labels")
    @classmethod
    def _label_texts(cls, v: dict[str, str]) -> dict[str, str]:
        empty = [k for k, text in v.items() if not str(text).strip()]
        if empty:
            raise ValueError(f"labels 中这些列的中文名为空：{empty}（写出中文名，或删去这一项）")
        return v

    @field_validator("params")
    @classmethod
    def _param_names(cls, v: dict[str, Param]) -> dict[str, Param]:
        bad = [k for k in v if not re.match(NAME, k)]
        if bad:
            raise ValueError(f"参数名只能用英文字母、数字和下划线：{bad}")
        return v

    @model_validator(mode="after")
    def _steps_or_sql(self) -> Model:
        if (self.steps is None) == (self.sql is None):
            raise ValueError("需要且只能给出 steps 或 sql 之一")
        if self.steps is not None and not self.steps:
            raise ValueError("steps 不能为空")
        if self.steps is not None and not self.inputs:
            raise ValueError("使用 steps 时需要声明 inputs")
        for i, step in enumerate(self.steps or []):
            if step.id is None:
                step.id = f"step{i + 1}"
        return self

    def title_placeholders(self) -> list[str]:
        """Column names used as ``{col}`` or ``{col|filter}`` in the title template."""
        return [m.group(1).strip() for m in PLACEHOLDER.finditer(self.output.title)]


All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()
Join.model_rebuild()
Aggregate.model_rebuild()
Step.model_rebuild()
