"""文本筛查 API: try a rule on a text (the builder's live preview), subscriptions and their inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from ...errors import InputError
from ...spec.text import TextRule, first_error
from ...text.clean import clean_text
from ...text.dictionary import user_words
from ...text.matcher import Matcher, describe
from ...text.segment import segmenter
from ...text.subscriptions import SubscriptionService
from ..security import require
from .common import Id

router = APIRouter(prefix="/text", tags=["文本筛查"])


@router.get("/rules")
def rules(user=require("text.read")) -> dict:
    """规则库中的文本规则（名称、标题、词数）。"""
    from ...text.library import get_rule, rule_names

    return {"items": [{"name": n, "title": get_rule(n).name, "terms": len(get_rule(n).terms())} for n in rule_names()]}


class RuleTest(BaseModel):
    rule: dict[str, Any] = Field(description="文本规则，或 {use: 规则名}")
    texts: list[str] = Field(min_length=1, max_length=50, description="要试的文字（每段最多 20000 字）")


@router.post("/test")
def test(body: RuleTest, request: Request, user=require("text.read")) -> dict:
    """试规则：每段文字是否命中、命中解释（规则、词、位置）与不计的词。"""
    from ...spec.text import TextStep

    try:
        rule = TextStep(field="x", rule=body.rule).rule
    except ValidationError as exc:
        raise InputError(f"文本规则有误：{first_error(exc)}") from None
    matcher = Matcher(rule or TextRule(any=["_"]), segmenter(user_words(request.app.state.ws)))
    out = []
    for raw in body.texts:
        text, problems = clean_text(raw)
        m = matcher.explain(text)
        out.append({"matched": m.matched, "explain": m.to_dict(), "explanation": describe(m.to_dict()),
                    "words": m.words, "problems": problems})
    return {"results": out}


class NewSubscription(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    dataset: str
    text_fields: list[str] = Field(min_length=1)
    rule_name: str | None = None
    rule: dict[str, Any] | None = None
    key_field: str | None = None
    date_field: str | None = None
    mode: str = "confirm"


@router.get("/subscriptions")
def subscriptions(request: Request, user=require("text.read")) -> list[dict]:
    return SubscriptionService(request.app.state.ws).list()


@router.post("/subscriptions", status_code=201)
def subscribe(body: NewSubscription, request: Request, user=require("text.subscribe")) -> dict:
    return SubscriptionService(request.app.state.ws).create(**body.model_dump())


@router.get("/subscriptions/{sub_id}/matches")
def matches(sub_id: Id, request: Request, user=require("text.read"), status: str | None = None) -> list[dict]:
    return SubscriptionService(request.app.state.ws).matches(sub_id, status)


class Decision(BaseModel):
    match_ids: list[int] = Field(min_length=1)
    action: str = Field(description="confirm（确认为线索）或 exclude（排除）")
    reason: str | None = None


@router.post("/subscriptions/{sub_id}/decide")
def decide(sub_id: Id, body: Decision, request: Request, user=require("text.subscribe")) -> dict:
    return SubscriptionService(request.app.state.ws).decide(sub_id, body.match_ids, body.action, body.reason)
