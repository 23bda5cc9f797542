"""EntityService: link person records of catalog datasets into subjects; review uncertain pairs.

Owns its transactions: the warehouse registry is replaced in one DuckDB transaction per run
(``registry.persist``), review decisions are rows of the metadata store, each one audited.
Linking itself runs on a private in-memory DuckDB connection fed with Arrow, so Splink's working
tables never touch the warehouse.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import duckdb
from sqlalchemy import select

from shujian.catalog.masking import mask_id_number, mask_phone
from shujian.db.models import EntityReview
from shujian.entity import linker as lk
from shujian.entity import registry
from shujian.entity.pipeline import link
from shujian.entity.prepare import PERSON_FIELDS, PersonSource, fetch_arrow
from shujian.errors import InputError, NotFound
from shujian.security.audit import record as audit
from shujian.workspace import Workspace

# Below this many records EM has too few pairs to learn from: the shipped model (trained on the
# 100k synthetic population, docs/entity-resolution.md) is used as it is.  Its prior (the chance that
# two random records are one person) belongs to a district-sized population; a small import is a
# slice of such a population, so the prior is deliberately not scaled up to the slice's size.
TRAIN_MIN_RECORDS = 20_000
SHIPPED_RECORDS = 100_000      # the records the shipped model was trained on (its prior belongs to them)

_COMPANY_NAMES = {"单位名称": "name", "企业名称": "name", "商户名称": "name", "名称": "name",
                  "统一社会信用代码": "uscc", "住所": "address", "经营场所": "address", "地址": "address"}
_SEMANTIC_FIELDS = {"person_name": "name", "id_number": "id_number", "phone": "phone"}
_NAME_FIELDS = {"出生日期": "birth_date", "性别": "sex", "住址": "address", "地址": "address",
                "户籍地": "address", "户籍地址": "address", "联系电话": "phone", "手机号": "phone",
                "姓名": "name", "身份证号": "id_number", "公民身份号码": "id_number"}


@lru_cache(maxsize=1)
def shipped_model() -> dict:
    """The person model trained on the 100k synthetic population (m/u probabilities, prior)."""
    text = (resources.files("shujian.entity") / "data" / "person_model.json").read_text(encoding="utf-8")
    return json.loads(text)


class EntityService:
    def __init__(self, ws: Workspace):
        self.ws = ws

    # -- linking ----------------------------------------------------------------------------------
    def _fields(self, ds, given: dict[str, str] | None) -> dict[str, str]:
        if given:
            bad = [k for k in given if k not in PERSON_FIELDS]
            if bad:
                raise InputError(f"未知的主体字段 {', '.join(bad)}", hint=f"可用：{', '.join(PERSON_FIELDS)}")
            missing = [c for c in given.values() if ds.column(c) is None]
            if missing:
                raise InputError(f"数据集“{ds.name}”没有列 {', '.join(missing)}",
                                 hint=f"现有列：{', '.join(ds.column_names)}")
            return dict(given)
        out: dict[str, str] = {}
        for col in ds.columns:
            key = _SEMANTIC_FIELDS.get(col.semantic or "") or _NAME_FIELDS.get(col.name)
            if key and key not in out:
                out[key] = col.name
        if "name" not in out:
            raise InputError(f"数据集“{ds.name}”中找不到姓名列",
                             hint="用 --field name=列名 指定姓名列（以及 id_number、birth_date 等）")
        return out

    def _company_fields(self, ds, given: dict[str, str] | None) -> dict[str, str]:
        if given:
            missing = [c for c in given.values() if ds.column(c) is None]
            if missing or any(k not in ("name", "uscc", "address") for k in given):
                raise InputError(f"数据集“{ds.name}”的单位字段不对：{', '.join(missing) or '未知字段'}",
                                 hint="字段为 name、uscc、address；列名须在数据集中")
            return dict(given)
        out: dict[str, str] = {}
        for col in ds.columns:
            key = {"org_name": "name", "uscc": "uscc"}.get(col.semantic or "") or _COMPANY_NAMES.get(col.name)
            if key and key not in out:
                out[key] = col.name
        if "name" not in out and "uscc" not in out:
            raise InputError(f"数据集“{ds.name}”中找不到单位名称或统一社会信用代码列",
                             hint="用 --field 数据集:name=列名 指定单位名称列")
        return out

    def link_persons(self, datasets: dict[str, dict[str, str] | None], *, train: bool | None = None) -> dict:
        """Link the person records of ``datasets`` (name → field mapping, or None to detect by semantic
        type and column name) into the subject registry.  Returns the run summary."""
        from shujian.catalog.service import CatalogService

        if not datasets:
            raise InputError("没有给出要识别的数据集", hint="至少给一个数据集名称")
        cat = CatalogService(self.ws).schema(list(datasets))
        missing = [n for n in datasets if cat.get(n) is None]
        if missing:
            raise NotFound(f"数据集不存在：{', '.join(missing)}", hint="shujian data list 查看已导入的数据集")
        mem = duckdb.connect()
        try:
            sources = self._load(mem, cat, datasets)
            total = sum(mem.execute(f'SELECT count(*) FROM "{s.relation}"').fetchall()[0][0] for s in sources)
            use_training = train if train is not None else total >= TRAIN_MIN_RECORDS
            self._decisions(mem, "person")
            model = None if use_training else lk.for_population(shipped_model(), total, SHIPPED_RECORDS)
            run = link(mem, sources, model=model, decisions="er_decisions")
            with self.ws.warehouse() as wh:
                summary = registry.persist(wh, mem, run)
        finally:
            mem.close()
        summary["trained"] = use_training
        audit(self.ws, "entity.link", target="person", detail={k: summary[k] for k in (
            "run_id", "records", "subjects", "kept", "new", "merged", "review")} | {"datasets": list(datasets)})
        return summary

    def _decisions(self, mem, kind: str) -> None:
        with self.ws.db.unit_of_work() as s:
            rows = [(r.fp_l, r.fp_r, r.same) for r in s.scalars(select(EntityReview).where(EntityReview.kind == kind))]
        mem.execute("CREATE OR REPLACE TEMP TABLE er_decisions (fp_l VARCHAR, fp_r VARCHAR, same BOOLEAN)")
        if rows:
            mem.executemany("INSERT INTO er_decisions VALUES (?, ?, ?)", rows)

    def link_companies(self, datasets: dict[str, dict[str, str] | None]) -> dict:
        """Link company records (统一社会信用代码, then the name key) into subjects ``C…``."""
        from shujian.catalog.service import CatalogService
        from shujian.entity.companies import link_companies

        cat = CatalogService(self.ws).schema(list(datasets))
        missing = [n for n in datasets if cat.get(n) is None]
        if not datasets or missing:
            raise NotFound(f"数据集不存在：{', '.join(missing) or '（未给出）'}", hint="shujian data list 查看已导入的数据集")
        mem = duckdb.connect()
        try:
            sources = self._load(mem, cat, datasets, kind="company")
            self._decisions(mem, "company")
            run = link_companies(mem, sources, decisions="er_decisions")
            with self.ws.warehouse() as wh:
                summary = registry.persist(wh, mem, run, kind="company")
        finally:
            mem.close()
        summary["trained"] = False
        audit(self.ws, "entity.link", target="company", detail={k: summary[k] for k in (
            "run_id", "records", "subjects", "kept", "new", "merged", "review")} | {"datasets": list(datasets)})
        return summary

    def _load(self, mem, cat, datasets, kind: str = "person") -> list[PersonSource]:
        sources = []
        with self.ws.warehouse(read_only=False) as wh:
            for i, (name, given) in enumerate(datasets.items()):
                ds = cat.get(name)
                fields = self._fields(ds, given) if kind == "person" else self._company_fields(ds, given)
                cols = ", ".join(f'"{c}"' for c in dict.fromkeys(fields.values()))
                tbl = fetch_arrow(wh, f'SELECT _row_id, {cols} FROM "{ds.relation}"')
                mem.register(f"src_arrow_{i}", tbl)
                mem.execute(f'CREATE TEMP TABLE "src_{i}" AS SELECT * FROM src_arrow_{i}')
                mem.unregister(f"src_arrow_{i}")
                sources.append(PersonSource(f"src_{i}", fields, name=name, ref=ds.relation))
        return sources

    # -- reading ----------------------------------------------------------------------------------
    def _query(self, sql: str, params: list | None = None) -> list[dict]:
        with self.ws.warehouse() as wh:
            if not registry.exists(wh):
                return []
            cur = wh.execute(sql, params or [])
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def subjects(self, *, name: str | None = None, limit: int = 50) -> list[dict]:
        from shujian.entity.normalize import normalize_person_name

        where, params = "WHERE status = '有效'", []
        if name:
            where += " AND name = ?"
            params.append(normalize_person_name(name))
        return self._query(f"SELECT * FROM {registry.SUBJECTS} {where} ORDER BY subject_id LIMIT {int(limit)}",
                           params)

    def subject(self, subject_id: str) -> dict:
        rows = self._query(f"SELECT * FROM {registry.SUBJECTS} WHERE subject_id = ?", [subject_id])
        if not rows:
            raise NotFound(f"主体 {subject_id} 不存在", hint="shujian entity subjects 列出主体")
        out = rows[0]
        out["members"] = self._query(
            f"SELECT source_name, source_ref, source_row, name_n, id18, dob, phone, address_n, confidence "
            f"FROM {registry.MEMBERS} WHERE subject_id = ? ORDER BY source_name, source_row", [subject_id])
        return out

    def runs(self, limit: int = 20) -> list[dict]:
        return self._query(f"SELECT * FROM {registry.RUNS} ORDER BY run_id DESC LIMIT {int(limit)}")

    def review_queue(self, *, limit: int = 50, masked: bool = True) -> list[dict]:
        """Pairs between the review and the certain threshold not yet decided, both sides side by side."""
        with self.ws.db.unit_of_work() as s:
            done = {(r.fp_l, r.fp_r) for r in s.scalars(select(EntityReview))}
        rows = self._query(f"""
            SELECT p.kind, p.fp_l, p.fp_r, p.probability, p.compared, p.subject_l, p.subject_r,
                   l.source_name AS source_l, p.source_row_l AS row_l, l.name_n AS name_l, l.id18 AS id_l,
                   l.dob AS dob_l, l.phone AS phone_l, l.address_n AS address_l,
                   r.source_name AS source_r, p.source_row_r AS row_r, r.name_n AS name_r, r.id18 AS id_r,
                   r.dob AS dob_r, r.phone AS phone_r, r.address_n AS address_r
            FROM {registry.PAIRS} p
            JOIN {registry.MEMBERS} l ON l.fingerprint = p.fp_l AND l.source_ref = p.source_ref_l
                 AND l.source_row = p.source_row_l AND l.kind = p.kind
            JOIN {registry.MEMBERS} r ON r.fingerprint = p.fp_r AND r.source_ref = p.source_ref_r
                 AND r.source_row = p.source_row_r AND r.kind = p.kind
            WHERE p.band = 'review' ORDER BY p.probability, p.fp_l, p.fp_r""")
        out = [r for r in rows if tuple(sorted((r["fp_l"], r["fp_r"]))) not in done][:limit]
        for r in out:
            for side in ("l", "r"):
                d = r[f"dob_{side}"]
                r[f"dob_{side}"] = f"{d[:4]}-{d[4:6]}-{d[6:]}" if d and len(d) == 8 else d
        if masked:
            for r in out:
                for side in ("l", "r"):
                    r[f"id_{side}"] = mask_id_number(r[f"id_{side}"])
                    r[f"phone_{side}"] = mask_phone(r[f"phone_{side}"])
        return out

    # -- decisions --------------------------------------------------------------------------------
    def decide(self, fp_a: str, fp_b: str, same: bool, *, reason: str | None = None) -> dict:
        """Record 同一人 (``same``) or 不同人 for the records with fingerprints ``fp_a``/``fp_b``; later
        runs honour it.  Re-deciding replaces the earlier decision; both are in the audit log."""
        fp_l, fp_r = sorted((self._fingerprint(fp_a), self._fingerprint(fp_b)))
        if fp_l == fp_r:
            raise InputError("两条记录相同，无需核对", hint="给出两条不同记录的指纹")
        pair = self._query(f"""SELECT probability, source_name_l, source_row_l, source_name_r, source_row_r FROM
            (SELECT p.probability, l.source_name AS source_name_l, p.source_row_l, r.source_name AS source_name_r,
                    p.source_row_r, least(p.fp_l, p.fp_r) AS a, greatest(p.fp_l, p.fp_r) AS b
             FROM {registry.PAIRS} p
             JOIN {registry.MEMBERS} l ON l.source_ref = p.source_ref_l AND l.source_row = p.source_row_l
             JOIN {registry.MEMBERS} r ON r.source_ref = p.source_ref_r AND r.source_row = p.source_row_r)
            WHERE a = ? AND b = ?""", [fp_l, fp_r])
        members = self._query(f"SELECT fingerprint, source_name, source_row, kind FROM {registry.MEMBERS} "
                              f"WHERE fingerprint IN (?, ?)", [fp_l, fp_r])
        if len({m["fingerprint"] for m in members}) < 2:
            raise NotFound("找不到这两条记录", hint="shujian entity review 列出待核对的记录对及其指纹")
        refs = {m["fingerprint"]: f"{m['source_name']}:{m['source_row']}" for m in members}
        kind = members[0]["kind"]
        prob = pair[0]["probability"] if pair else None
        from shujian.security.scope import acting

        who = acting()[0]
        with self.ws.db.unit_of_work() as s:
            row = s.scalars(select(EntityReview).where(EntityReview.kind == kind, EntityReview.fp_l == fp_l,
                                                       EntityReview.fp_r == fp_r)).first()
            if row is None:
                row = EntityReview(kind=kind, fp_l=fp_l, fp_r=fp_r, same=same)
                s.add(row)
            row.same, row.reason, row.probability, row.decided_by = same, reason, prob, who
            row.ref_l, row.ref_r = refs[fp_l], refs[fp_r]
            s.flush()
            result = {"id": row.id, "decision": "同一人" if same else "不同人", "ref_l": row.ref_l,
                      "ref_r": row.ref_r, "probability": prob, "reason": reason}
            audit(self.ws, "entity.review", target=f"{refs[fp_l]} ↔ {refs[fp_r]}", reason=reason, session=s,
                  detail={"decision": result["decision"], "fp_l": fp_l, "fp_r": fp_r, "probability": prob})
        return result

    def _fingerprint(self, prefix: str) -> str:
        """The full fingerprint of a record from a prefix (≥ 6 characters) as the review list shows it."""
        if len(prefix) < 6:
            raise InputError(f"指纹“{prefix}”太短", hint="至少给出 6 位（shujian entity review 列出指纹）")
        hits = self._query(f"SELECT DISTINCT fingerprint FROM {registry.MEMBERS} WHERE starts_with(fingerprint, ?)",
                           [prefix.lower()])
        if len(hits) != 1:
            raise NotFound(f"指纹“{prefix}”{'不存在' if not hits else '对应多条记录'}",
                           hint="shujian entity review 列出待核对的记录对及其指纹；给出更长的前缀")
        return hits[0]["fingerprint"]

    def decisions(self) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            return [{"id": r.id, "decision": "同一人" if r.same else "不同人", "ref_l": r.ref_l, "ref_r": r.ref_r,
                     "probability": r.probability, "reason": r.reason, "by": r.decided_by,
                     "at": r.decided_at.isoformat(timespec="seconds")}
                    for r in s.scalars(select(EntityReview).order_by(EntityReview.id))]


__all__ = ["SHIPPED_RECORDS", "TRAIN_MIN_RECORDS", "EntityService", "shipped_model"]
