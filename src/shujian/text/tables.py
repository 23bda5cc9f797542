"""Metadata tables of text screening (migration 0007_text_screening).

* ``text_words`` — the workspace's user dictionary for segmentation (用户词典);
* ``text_subscriptions`` — 关键词订阅: a rule over a message dataset, who gets its matches and how;
* ``text_screenings`` — one screening of one new dataset version (messages screened, quality);
* ``text_matches`` — one matching message per subscription, waiting for 确认/排除 or pushed as a clue;
* ``text_labels`` — topic labels confirmed by users (training data for topic classification).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shujian.db.base import Base, utcnow


class TextWord(Base):
    __tablename__ = "text_words"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TextSubscription(Base):
    __tablename__ = "text_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    dataset: Mapped[str] = mapped_column(String(64), index=True)
    key_field: Mapped[str | None] = mapped_column(String(64))          # 编号/工单号 (None: the text itself)
    text_fields: Mapped[list] = mapped_column(JSON)                     # 主题, 详情 …
    date_field: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[dict] = mapped_column(JSON)
    rule_name: Mapped[str | None] = mapped_column(String(64))           # built-in rule it was copied from
    mode: Mapped[str] = mapped_column(String(16), default="confirm")    # confirm | clue
    owner: Mapped[str | None] = mapped_column(String(64))               # username (None: local operator)
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_version_id: Mapped[int | None] = mapped_column(Integer)
    last_screened_at: Mapped[datetime | None] = mapped_column()


class TextScreening(Base):
    __tablename__ = "text_screenings"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("text_subscriptions.id", ondelete="CASCADE"),
                                                 index=True)
    dataset_version_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(16))                    # subscribe | import | schedule | manual
    messages: Mapped[int] = mapped_column(Integer, default=0)           # new messages screened
    candidates: Mapped[int] = mapped_column(Integer, default=0)         # passed the prefilter
    matched: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)
    quality: Mapped[dict | None] = mapped_column(JSON)
    run_id: Mapped[int | None] = mapped_column(Integer)                 # clue mode: the run holding the clues
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TextMatch(Base):
    __tablename__ = "text_matches"
    __table_args__ = (UniqueConstraint("subscription_id", "message_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("text_subscriptions.id", ondelete="CASCADE"),
                                                 index=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("text_screenings.id", ondelete="CASCADE"))
    dataset_version_id: Mapped[int] = mapped_column(Integer)
    row_id: Mapped[int] = mapped_column(Integer)
    message_key: Mapped[str] = mapped_column(String(128))
    message_date: Mapped[str | None] = mapped_column(String(32))
    excerpt: Mapped[str] = mapped_column(Text)
    explain: Mapped[dict] = mapped_column(JSON)
    words: Mapped[str] = mapped_column(String(500))
    merchant: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | excluded | pushed
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column()
    clue_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TextLabel(Base):
    __tablename__ = "text_labels"
    __table_args__ = (UniqueConstraint("dataset", "message_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(64), index=True)
    message_key: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    labelled_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
