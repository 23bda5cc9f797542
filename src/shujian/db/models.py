"""Metadata store tables (SQLAlchemy 2).  Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Dataset(Base):
    """A named dataset in the catalog (数据资源目录); its data lives in versions."""

    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8), default="内部")
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int | None] = mapped_column(Integer)
    pinned_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.version", cascade="all, delete-orphan")


class DatasetVersion(Base):
    """One immutable import of a dataset, with its provenance (来源单位, 调取函号, 数据期间…)."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str] = mapped_column(String(80))
    source_path: Mapped[str | None] = mapped_column(Text)
    source_format: Mapped[str | None] = mapped_column(String(16))
    source_encoding: Mapped[str | None] = mapped_column(String(16))
    source_sheet: Mapped[str | None] = mapped_column(String(64))
    agency: Mapped[str | None] = mapped_column(String(128))
    request_no: Mapped[str | None] = mapped_column(String(128))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    importer: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8), default="内部")
    skipped_rows: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[list | None] = mapped_column(JSON)
    quality: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    dataset: Mapped[Dataset] = relationship(back_populates="versions")
    columns: Mapped[list[DatasetColumn]] = relationship(
        back_populates="version", order_by="DatasetColumn.position", cascade="all, delete-orphan")


class DatasetColumn(Base):
    __tablename__ = "dataset_columns"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    dtype: Mapped[str] = mapped_column(String(32))
    semantic: Mapped[str | None] = mapped_column(String(32))
    semantic_source: Mapped[str | None] = mapped_column(String(16))   # detected / user / source
    level: Mapped[str | None] = mapped_column(String(8))
    raw_column: Mapped[str | None] = mapped_column(String(160))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[DatasetVersion] = relationship(back_populates="columns")


class Job(Base):
    """A long-running job (import, run, parse): interrupted jobs stay visible and can be retried."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="running")
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSON)


class ModelVersion(Base):
    """An immutable version of a supervision model, identified by the hash of its canonical form."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[str] = mapped_column(String(32))
    hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(80), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    model_hash: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dataset_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    engine: Mapped[str] = mapped_column(String(16), default="duckdb")
    sql: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="running")
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    seconds: Mapped[float | None] = mapped_column()
    rows_scanned: Mapped[int | None] = mapped_column(Integer)
    rows_out: Mapped[int | None] = mapped_column(Integer)
    clues_new: Mapped[int | None] = mapped_column(Integer)
    clues_seen: Mapped[int | None] = mapped_column(Integer)
    peak_memory_mb: Mapped[float | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    schedule_id: Mapped[int | None] = mapped_column(Integer)
    retry_of: Mapped[int | None] = mapped_column(Integer)


class Subject(Base):
    """A person, organisation or case that clues are about (one subject, several grounds)."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("type", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(128))


class Clue(Base):
    __tablename__ = "clues"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    model_id: Mapped[str] = mapped_column(String(80), index=True)
    rule: Mapped[str] = mapped_column(String(64), default="")
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    facts_hash: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str | None] = mapped_column(String(64))
    legal_basis: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="生成")
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    first_run_id: Mapped[int] = mapped_column(Integer)
    last_run_id: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    seen_count: Mapped[int] = mapped_column(Integer, default=1)
    subject: Mapped[Subject] = relationship()


class ClueRun(Base):
    """The runs that found a clue (re-runs append here instead of duplicating the clue)."""

    __tablename__ = "clue_runs"
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)


class ClueEvidence(Base):
    """One source row behind a clue: dataset version + row id, enough to show it later."""

    __tablename__ = "clue_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(64))
    dataset_version_id: Mapped[int] = mapped_column(Integer)
    row_id: Mapped[int] = mapped_column(Integer)


class Schedule(Base):
    """A cron schedule for a model (定期调度), executed by ``shujian worker``."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(80))
    cron: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    engine: Mapped[str] = mapped_column(String(16), default="duckdb")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column()
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
