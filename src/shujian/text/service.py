"""Ad-hoc text screening of a catalog dataset (``shujian text screen``, the web's 试筛): nothing is
stored; sealed datasets are refused; the messages shown are masked like any preview."""

from __future__ import annotations

from shujian.catalog.service import CatalogService
from shujian.security.masking import refuse_sealed
from shujian.spec.text import TextRule
from shujian.text import screening
from shujian.text.dictionary import user_words
from shujian.text.matcher import describe
from shujian.workspace import Workspace


class TextService:
    def __init__(self, ws: Workspace):
        self.ws = ws
        self.catalog = CatalogService(ws)

    def screen(self, dataset: str, fields: list[str], rule: TextRule, *, key: str | None = None,
               date: str | None = None, limit: int = 50) -> dict:
        """Screen the current version of ``dataset`` with ``rule``: counts, quality, first matches."""
        info = self.catalog.describe(dataset)
        refuse_sealed(dataset, info["sealed"])
        _check(info, [*fields, *(c for c in (key, date) if c)])
        ref = self.catalog.resolve(dataset)
        with self.ws.warehouse() as con:
            result = screening.screen_version(con, subscription_id=screening.ADHOC, relation=ref.relation,
                                              key_field=key, text_fields=fields, date_field=date, rule=rule,
                                              words=user_words(self.ws))
        return {"dataset": dataset, "version": ref.version, "messages": result.messages,
                "candidates": result.candidates, "matched": len(result.found), "quality": result.quality.to_dict(),
                "matches": [_found(f) for f in result.found[:limit]]}


def _check(info: dict, columns: list[str]) -> None:
    from shujian.errors import InputError

    have = [c["name"] for c in info["columns"]]
    bad = [c for c in columns if c not in have]
    if bad:
        raise InputError(f"数据集“{info['name']}”没有列 {'、'.join(bad)}", hint=f"现有列：{'、'.join(have)}")


def _found(f: screening.Found) -> dict:
    from shujian.catalog.masking import mask_embedded

    return {"key": f.key, "date": f.date, "row_id": f.row_id, "words": "、".join(f.match.words),
            "merchant": f.merchant, "explanation": describe(f.match.to_dict()),
            "excerpt": mask_embedded(screening.excerpt(f.text, f.match)), "explain": f.match.to_dict()}
