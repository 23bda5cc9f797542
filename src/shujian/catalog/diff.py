"""Version diff (版本比对): what changed between two versions of one dataset.

``diff_tables`` compares two version tables inside DuckDB:

- schema: columns added, removed, and whose type changed;
- with a key (``--key 身份证号``): rows added (key only in the new version), removed (only in the old)
  and changed (same key, a value differs), each changed row with the columns that changed;
- without a key: whole rows, as multisets (a row twice in the old version and once in the new one
  is one removed row); "changed" is not defined then.

Values are compared on the columns both versions have; a column whose type changed is compared as text.
Examples carry the row numbers (``_row_id``) in each version.  The result holds raw values:
``mask_diff`` masks personal columns for a user who may not unmask them (security.masking rules).
"""

from __future__ import annotations

from ..errors import InputError
from .masking import jsonable, mask_value
from .schema import ROW_ID


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schema_changes(cols1: list[dict], cols2: list[dict]) -> dict:
    t1, t2 = {c["name"]: c["dtype"] for c in cols1}, {c["name"]: c["dtype"] for c in cols2}
    return {"added": [n for n in t2 if n not in t1], "removed": [n for n in t1 if n not in t2],
            "type_changed": [{"column": n, "from": t1[n], "to": t2[n]} for n in t1 if n in t2 and t1[n] != t2[n]]}


def diff_tables(con, rel1: str, rel2: str, cols1: list[dict], cols2: list[dict], key: list[str] | None,
                limit: int = 20) -> dict:
    """Compare version tables ``rel1`` (old) and ``rel2`` (new); see the module docstring."""
    schema = schema_changes(cols1, cols2)
    t2 = {c["name"]: c["dtype"] for c in cols2}
    common = [c["name"] for c in cols1 if c["name"] in t2]
    typed = {c["name"]: c["dtype"] == t2[c["name"]] for c in cols1 if c["name"] in t2}
    n1 = con.execute(f"SELECT count(*) FROM {_q(rel1)}").fetchone()[0]
    n2 = con.execute(f"SELECT count(*) FROM {_q(rel2)}").fetchone()[0]
    out = {"schema": schema, "columns": common, "key": key or [], "rows": {"old": n1, "new": n2}}
    if key:
        _check_key(con, rel1, rel2, key, common)
        out.update(_by_key(con, rel1, rel2, key, common, typed, limit))
    else:
        out.update(_whole_rows(con, rel1, rel2, common, typed, limit))
    return out


def _v(alias: str, col: str, same_type: bool) -> str:
    ref = f"{alias}.{_q(col)}"
    return ref if same_type else f"CAST({ref} AS VARCHAR)"


def _check_key(con, rel1: str, rel2: str, key: list[str], common: list[str]) -> None:
    missing = [k for k in key if k not in common]
    if missing:
        raise InputError(f"键列 {'、'.join(missing)} 不在两个版本共有的列中",
                         hint=f"共有的列：{'、'.join(common)}")
    cols = ", ".join(_q(k) for k in key)
    for label, rel in (("旧", rel1), ("新", rel2)):
        # the message gives counts, not the values: they may be personal (masked for this viewer)
        n = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {_q(rel)} GROUP BY ALL HAVING count(*) > 1)"
                        ).fetchone()[0]
        if n:
            raise InputError(f"键列 {'、'.join(key)} 在{label}版本中不唯一（{n} 个值重复出现），不能按键比对",
                             hint="换一个唯一的键（可多次 --key 组合），或不指定 --key 按整行比对")


def _by_key(con, rel1: str, rel2: str, key: list[str], common: list[str], typed: dict, limit: int) -> dict:
    on = " AND ".join(f"a.{_q(k)} IS NOT DISTINCT FROM b.{_q(k)}" for k in key)
    others = [c for c in common if c not in key]
    def values(alias: str) -> str:
        return ", ".join(f"{alias}.{_q(c)}" for c in common)

    added = _rows(con, f"SELECT b.{ROW_ID}, {values('b')} FROM {_q(rel2)} b ANTI JOIN {_q(rel1)} a ON {on}", limit)
    removed = _rows(con, f"SELECT a.{ROW_ID}, {values('a')} FROM {_q(rel1)} a ANTI JOIN {_q(rel2)} b ON {on}", limit)
    flags = [f"({_v('a', c, typed[c])} IS DISTINCT FROM {_v('b', c, typed[c])})" for c in others]
    changed: dict = {"count": 0, "examples": []}
    if flags:
        where = " OR ".join(flags)
        base = f"FROM {_q(rel1)} a JOIN {_q(rel2)} b ON {on} WHERE {where}"
        changed["count"] = con.execute(f"SELECT count(*) {base}").fetchone()[0]
        cols = ", ".join([f"a.{ROW_ID}", f"b.{ROW_ID}"] + [f"a.{_q(k)}" for k in key]
                         + [f"{flag}, a.{_q(c)}, b.{_q(c)}" for flag, c in zip(flags, others, strict=True)])
        for r in con.execute(f"SELECT {cols} {base} ORDER BY b.{ROW_ID} LIMIT {int(limit)}").fetchall():
            rest = r[2 + len(key):]
            diffs = [{"column": c, "old": rest[3 * i + 1], "new": rest[3 * i + 2]}
                     for i, c in enumerate(others) if rest[3 * i]]
            changed["examples"].append({"old_row": r[0], "new_row": r[1],
                                        "key": dict(zip(key, r[2:2 + len(key)], strict=True)), "changes": diffs})
    unchanged = con.execute(f"SELECT count(*) FROM {_q(rel1)} a JOIN {_q(rel2)} b ON {on}").fetchone()[0] - changed["count"]
    return {"added": added, "removed": removed, "changed": changed, "unchanged": unchanged}


def _whole_rows(con, rel1: str, rel2: str, common: list[str], typed: dict, limit: int) -> dict:
    if not common:
        raise InputError("两个版本没有共同的列，无法按整行比对", hint="检查是否选错了数据集或版本")
    part = ", ".join(_q(c) for c in common)

    def numbered(rel: str, alias: str) -> str:
        vals = ", ".join(f"{_v(alias, c, typed[c])} AS {_q(c)}" for c in common)
        return (f"(SELECT {alias}.{ROW_ID}, {vals}, row_number() OVER (PARTITION BY {part} ORDER BY {alias}.{ROW_ID})"
                f" AS _n FROM {_q(rel)} {alias})")

    on = " AND ".join(f"x.{_q(c)} IS NOT DISTINCT FROM y.{_q(c)}" for c in common) + " AND x._n = y._n"
    cols = ", ".join(f"x.{_q(c)}" for c in common)
    added = _rows(con, f"SELECT x.{ROW_ID}, {cols} FROM {numbered(rel2, 'b')} x ANTI JOIN {numbered(rel1, 'a')} y ON {on}",
                  limit)
    removed = _rows(con, f"SELECT x.{ROW_ID}, {cols} FROM {numbered(rel1, 'a')} x ANTI JOIN {numbered(rel2, 'b')} y "
                         f"ON {on}", limit)
    n2 = con.execute(f"SELECT count(*) FROM {_q(rel2)}").fetchone()[0]
    return {"added": added, "removed": removed, "changed": None, "unchanged": n2 - added["count"]}


def _rows(con, sql: str, limit: int) -> dict:
    count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    rows = con.execute(f"{sql} ORDER BY 1 LIMIT {int(limit)}").fetchall() if count else []
    return {"count": count, "examples": [{"row": r[0], "values": list(r[1:])} for r in rows]}


def mask_diff(diff: dict, semantics: dict[str, str | None], clear: set[str]) -> dict:
    """A copy of ``diff`` with values JSON-ready and every personal column not in ``clear`` masked."""
    def m(col: str, v):
        sem = semantics.get(col)
        return jsonable(v if col in clear or not sem or not isinstance(v, str) else mask_value(sem, v))

    out = dict(diff)
    for part in ("added", "removed"):
        out[part] = {"count": diff[part]["count"],
                     "examples": [{"row": e["row"], "values": [m(c, v) for c, v in zip(diff["columns"], e["values"],
                                                                                          strict=True)]}
                                  for e in diff[part]["examples"]]}
    if diff.get("changed"):
        out["changed"] = {"count": diff["changed"]["count"], "examples": [
            {**e, "key": {k: m(k, v) for k, v in e["key"].items()},
             "changes": [{"column": c["column"], "old": m(c["column"], c["old"]), "new": m(c["column"], c["new"])}
                         for c in e["changes"]]} for e in diff["changed"]["examples"]]}
    return out
