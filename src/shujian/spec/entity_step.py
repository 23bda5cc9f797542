"""The ``entity_join`` step (按主体关联): join two inputs on resolved subjects (主体库), not on raw keys.

Two modes: ``subject`` joins rows whose records belong to the same subject of the registry (after
clustering and human review); ``fuzzy`` joins rows whose records form a scored pair with match
probability ≥ ``min_probability`` (no clustering).  Either way the step adds the subject ID, the
match probability, the compared fields (匹配依据) and a 核实状态 that says 确定 at or above
``certain`` and 待核实 (with the reason) below it, so clues carry why two rows were taken as one person.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EntityJoin(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    left: str | None = Field(None, description="左侧步骤或输入角色；默认上一步")
    right: str = Field(description="右侧步骤或输入角色")
    left_role: str | None = Field(None, description="左侧行来自哪个输入角色（默认：左侧唯一的明细来源）")
    right_role: str | None = Field(None, description="右侧行来自哪个输入角色（默认：右侧唯一的明细来源）")
    kind: Literal["person", "company"] = Field("person", description="主体类型：person 自然人，company 单位")
    mode: Literal["subject", "fuzzy"] = Field(
        "subject", description="subject 按主体库的同一主体关联；fuzzy 按记录对的匹配概率关联")
    min_probability: float = Field(0.8, ge=0, le=1, description="低于此匹配概率的关联不要")
    certain: float = Field(0.99, ge=0, le=1, description="达到此匹配概率视为确定，低于则标为待核实")
    right_prefix: str | None = Field(None, description="右侧列统一加前缀，避免重名")
    subject_column: str = Field("主体编号", description="输出的主体编号列名")
    probability_column: str = Field("匹配概率", description="输出的匹配概率列名")
    basis_column: str = Field("匹配依据", description="输出的比对依据列名")
    status_column: str = Field("核实状态", description="输出的核实状态列名（确定 / 待核实：原因）")

    @model_validator(mode="after")
    def _thresholds(self) -> EntityJoin:
        if self.certain < self.min_probability:
            raise ValueError("certain（确定阈值）不能低于 min_probability（最低匹配概率）")
        return self
