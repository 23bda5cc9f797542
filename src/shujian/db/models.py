"""Metadata store tables (SQLAlchemy 2).  Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
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
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)   # 所属院 (None: 全平台共享)
    # 个人数据区: the importing user (None: the org's catalog); shared with one department of the org
    owner_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    department_id: Mapped[int | None] = mapped_column(Integer)
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
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)   # 发起院 (None: 平台级运行)
    binding: Mapped[dict | None] = mapped_column(JSON)                # 数据绑定 used: which one and its content
    keyless_rows: Mapped[int | None] = mapped_column(Integer)         # output rows whose subject key was empty
    # 沙箱运行: results kept in sandbox_results, seen by the starter (and the org's publishers) until 发布
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    started_by: Mapped[int | None] = mapped_column(Integer)           # the user who started the run
    published_by: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column()


class SandboxResult(Base):
    """One clue candidate of a sandbox run (沙箱运行结果), stored as data until the run is published."""

    __tablename__ = "sandbox_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


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
    # 一本账 counts per (model, 承办院, first seen) read this index alone; the 待办/逾期 list reads the others
    __table_args__ = (Index("ix_clues_ledger", "model_id", "org_id", "first_seen"),
                      Index("ix_clues_deadline", "deadline"), Index("ix_clues_supervised", "supervised"),
                      Index("ix_clues_escalation", "escalation"),
                      # partial (migration 0016): only the few escalated / 督办 clues, for the overdue list
                      Index("ix_clues_escalated", "id", sqlite_where=text("escalation IS NOT NULL"),
                            postgresql_where=text("escalation IS NOT NULL")),
                      Index("ix_clues_supervise_deadline", "supervise_deadline",
                            sqlite_where=text("supervise_deadline IS NOT NULL"),
                            postgresql_where=text("supervise_deadline IS NOT NULL")))
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
    # Workflow (线索流转): who holds the clue, until when, and what came of it.  No foreign keys
    # here so the columns can be added to a filled table without rebuilding it on SQLite.
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)          # 承办院
    department_id: Mapped[int | None] = mapped_column(Integer)                # 承办部门
    assignee_id: Mapped[int | None] = mapped_column(Integer, index=True)      # 承办检察官
    deadline: Mapped[date | None] = mapped_column(Date)                       # 交办/核查期限
    supervised: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 督办
    supervisor_org_id: Mapped[int | None] = mapped_column(Integer)
    supervise_deadline: Mapped[date | None] = mapped_column(Date)
    exclusion_type: Mapped[str | None] = mapped_column(String(16))            # 误报类型
    case_number: Mapped[str | None] = mapped_column(String(64))               # 案号（业务应用系统）
    escalation: Mapped[str | None] = mapped_column(String(16))                # 建议刚性监督 …
    state_changed_at: Mapped[datetime | None] = mapped_column()
    subject: Mapped[Subject] = relationship()


class ClueRun(Base):
    """The runs that found a clue (re-runs append here instead of duplicating the clue)."""

    __tablename__ = "clue_runs"
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)


class ClueCount(Base):
    """一本账 counters: clues per first-seen day (grain ``d``) and month (grain ``m``, first day) × model ×
    承办院 × state.  Kept by database triggers on ``clues`` (migration 0012_clue_counts) in the transaction
    of every insert, update and delete, so no path that writes clues can miss them; read through the
    access layer (:func:`shujian.security.access.restrict`), never a clue count of its own."""

    __tablename__ = "clue_counts"
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)       # d: day, m: month
    day: Mapped[date] = mapped_column(Date, primary_key=True)              # the day, or the month's first day
    model_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, primary_key=True)         # 承办院; 0: unassigned (线索池)
    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)         # unassigned: the first run; else 0
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ClueEvidence(Base):
    """One source row behind a clue: dataset version + row id, enough to show it later."""

    __tablename__ = "clue_evidence"
    # No foreign keys (migration 0013): the clue store's writer is the only one to insert evidence, for
    # its own clues and run in one transaction; ``shujian db check`` reports orphans.
    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(Integer, index=True)
    run_id: Mapped[int] = mapped_column(Integer)
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
    org_id: Mapped[int | None] = mapped_column(Integer)               # the org its runs are for (its binding)
    created_by: Mapped[str | None] = mapped_column(String(64))


class ModelBinding(Base):
    """One version of an org's data binding for a model (数据绑定): each input role → a dataset of
    the org's catalog, each field → a column.  Versions are append-only (who bound what when); the
    newest version of (model, org) applies, unless it is a removal (``removed``)."""

    __tablename__ = "model_bindings"
    __table_args__ = (UniqueConstraint("model_id", "scope_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(80), index=True)
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)   # None: 平台绑定 (every org without its own)
    scope_key: Mapped[str] = mapped_column(String(24))                # "org:<id>" or "platform" (unique with NULLs)
    version: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)          # {role: {dataset, fields: {field: column}}}
    model_hash: Mapped[str | None] = mapped_column(String(64))        # the model version it was checked against
    source: Mapped[str] = mapped_column(String(16))                   # 命令行 / 网页 / 采用 / 可视化建模
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# ---------------------------------------------------------------------------------- organisations
class Org(Base):
    """A procuratorate (最高人民检察院 › 省院 › 市院 › 区县院), keyed by its division code."""

    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)      # 行政区划代码; 000000 = 最高检
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(8))                   # 最高检 / 省院 / 市院 / 区县院
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), index=True)


class OrgSetting(Base):
    """One org's document settings (文号): 机关代字, the 文号 format and first number, the default 主送机关.

    Edited by the org's 数字办 or 系统管理员 (``shujian.orgs.settings``); empty fields fall back to the
    derived 代字 and the built-in format."""

    __tablename__ = "org_settings"
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True)
    abbreviation: Mapped[str | None] = mapped_column(String(32))       # 机关代字, e.g. 椒检
    number_format: Mapped[str | None] = mapped_column(String(100))     # {代字}{条线}建〔{年}〕{号}号
    first_number: Mapped[int | None] = mapped_column(Integer)          # this year's numbering starts here
    recipient: Mapped[str | None] = mapped_column(String(200))         # default 主送机关
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column()


class Department(Base):
    """A department (刑事检察部 …) of one procuratorate, with its 业务条线."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    line: Mapped[str | None] = mapped_column(String(32))


class User(Base):
    """A user with roles.  ``password_hash`` and API tokens belong to the Security issue."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    password_changed_at: Mapped[datetime | None] = mapped_column()


# ---------------------------------------------------------------------------------- clue workflow
class ClueEvent(Base):
    """One step in a clue's life: a transition (from → to) or a note (评论, 督办, 逾期)."""

    __tablename__ = "clue_events"
    __table_args__ = (Index("ix_clue_events_action_at", "action", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class SupervisionMeasure(Base):
    """A 监督措施 on a clue: document, reply, adoption and outcomes (追回金额, 治理成果)."""

    __tablename__ = "supervision_measures"
    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))                   # 检察建议, 移送整改 …
    intensity: Mapped[str] = mapped_column(String(8))               # 柔性 / 正式 / 刚性
    recipient: Mapped[str | None] = mapped_column(String(128))      # 主送机关
    doc_number: Mapped[str | None] = mapped_column(String(64))      # 文号
    issued_on: Mapped[date | None] = mapped_column(Date)
    reply_deadline: Mapped[date | None] = mapped_column(Date)
    replied_on: Mapped[date | None] = mapped_column(Date)
    reply: Mapped[str | None] = mapped_column(Text)
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    rectified: Mapped[bool | None] = mapped_column(Boolean)
    money_recovered: Mapped[float] = mapped_column(Float, default=0.0)
    people_affected: Mapped[int] = mapped_column(Integer, default=0)
    governance: Mapped[list] = mapped_column(JSON, default=list)    # 治理成果: 会签机制, 规范性文件 …
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------- model governance
class GovModel(Base):
    """A model under governance (模型台账 entry): lifecycle state, author, listing scope."""

    __tablename__ = "gov_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(80), unique=True)
    number: Mapped[str] = mapped_column(String(32))                 # 模型编号
    name: Mapped[str] = mapped_column(String(128))
    line: Mapped[str | None] = mapped_column(String(32))
    point: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8), default="草稿")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"))
    scope: Mapped[str | None] = mapped_column(String(4))             # 市 / 省 / 全国
    listed_on: Mapped[date | None] = mapped_column(Date)
    trial_accuracy: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GovRevision(Base):
    """One version of a governed model: editable while a draft, immutable once submitted."""

    __tablename__ = "gov_revisions"
    __table_args__ = (UniqueConstraint("gov_model_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    gov_model_id: Mapped[int] = mapped_column(ForeignKey("gov_models.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)                        # the model file (YAML/JSON)
    sql: Mapped[str | None] = mapped_column(Text)                    # generated SQL (duckdb)
    hash: Mapped[str] = mapped_column(String(64))
    diff: Mapped[str | None] = mapped_column(Text)                   # against the previous version
    submitted_at: Mapped[datetime | None] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GovEvent(Base):
    """A model lifecycle step or certification (业务认证/数字认证 with the three evaluations)."""

    __tablename__ = "gov_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    gov_model_id: Mapped[int] = mapped_column(ForeignKey("gov_models.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(8))
    to_state: Mapped[str | None] = mapped_column(String(8))
    evaluations: Mapped[dict] = mapped_column(JSON, default=dict)    # 建模必要性/技术可行性/线索准确性
    comment: Mapped[str | None] = mapped_column(Text)


class ModelAdoption(Base):
    """Another org adopting a listed model: its dataset/column mapping and what it still lacks."""

    __tablename__ = "model_adoptions"
    __table_args__ = (UniqueConstraint("gov_model_id", "org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    gov_model_id: Mapped[int] = mapped_column(ForeignKey("gov_models.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    missing: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(8))                   # 已采用 / 缺字段
    adopted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------- 委托研判
class AnalysisRequest(Base):
    """A 委托研判 request to the 数字办/情报中心, answered with models, runs and a clue package."""

    __tablename__ = "analysis_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    question: Mapped[str] = mapped_column(Text)
    rule_text: Mapped[str | None] = mapped_column(Text)
    data_needed: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8), default="已提交")
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    model_ids: Mapped[list] = mapped_column(JSON, default=list)
    run_ids: Mapped[list] = mapped_column(JSON, default=list)
    clue_ids: Mapped[list] = mapped_column(JSON, default=list)
    history: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------- security
class AuthSession(Base):
    """A browser login session; the cookie holds a random token, only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """An API token for scripts (接口令牌); only its SHA-256 is stored, the prefix identifies it."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuditRecord(Base):
    """One append-only audit record (审计记录), chained: ``hash`` = H(prev_hash ‖ this record).

    ``prev_hash`` is unique, so two writers racing for the same chain end cannot both append.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(64), index=True)
    org_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(48), index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16), default="成功")
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(8), default="sm3")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The signed end of the audit chain (审计链头): record count and last hash, HMAC-signed with the audit
    key kept outside the database.  One row (``id`` 1), updated in the transaction of every append, so
    ``shujian audit verify`` finds a removed tail or an emptied table without a head saved elsewhere.
    ``signature`` is NULL only before the workspace has an audit key (a store migrated from before 0011)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClueAttachment(Base):
    """A file attached to a clue with a comment (线索附件).  The file lives under the workspace home
    (``attachments/``) with a random stored name; the uploaded name is kept only for display."""

    __tablename__ = "clue_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("clue_events.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))                 # as uploaded, for display only
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)   # random hex, the only path part
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(100))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntityReview(Base):
    """A human decision on one candidate pair of records (主体识别人工核对): 同一人 / 不同人.

    Keyed by the two records' fingerprints (normalised fields + dataset name, sorted), so a decision
    survives re-imports and every later linking run honours it.
    """

    __tablename__ = "entity_reviews"
    __table_args__ = (UniqueConstraint("kind", "fp_l", "fp_r"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="person")
    fp_l: Mapped[str] = mapped_column(String(32))
    fp_r: Mapped[str] = mapped_column(String(32))
    same: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    ref_l: Mapped[str | None] = mapped_column(String(160))          # 数据集:行号, for display
    ref_r: Mapped[str | None] = mapped_column(String(160))
    probability: Mapped[float | None] = mapped_column(Float)        # the model's score when decided
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataSource(Base):
    """A saved database source (保存的数据源) that ``shujian data source pull`` or a schedule re-pulls.

    ``url`` never holds a password: it is stripped before storing; the password is read at pull time
    from the environment variable named in ``password_env``.
    """

    __tablename__ = "data_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    dataset: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    password_env: Mapped[str | None] = mapped_column(String(64))
    table_name: Mapped[str | None] = mapped_column(String(200))
    query: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict] = mapped_column(JSON, default=dict)      # check_column, merge_key, level, agency …
    cron: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_version: Mapped[int | None] = mapped_column(Integer)
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
