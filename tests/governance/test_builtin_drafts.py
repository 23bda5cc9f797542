"""A draft saved under a built-in model's id does not change what the 院's runs of that model find.

Any user who may build models (every 检察官) can save a draft under a built-in id; before, the web's runs
and the 模型库 card took that draft as soon as it was saved.  Now the shipped file runs until a version has
passed both certifications; the draft is tried with a 沙箱运行.
"""

from __future__ import annotations

import pytest

from shujian import models_library
from shujian.config import load_settings
from shujian.governance.service import GovernanceService
from shujian.web import catalogue
from shujian.web.accounts import ensure_demo_accounts
from shujian.workspace import Workspace

MODEL_ID = "drunk-driving-licence"
EVAL_OK = {e: {"passed": True, "comment": "同意"} for e in ("建模必要性", "技术可行性", "线索准确性")}


@pytest.fixture
def demo_ws(tmp_path):
    ws = Workspace(load_settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'metadata.sqlite'}")).ensure()
    ensure_demo_accounts(ws)
    yield ws
    ws.close()


def _edited_source() -> str:
    shipped = models_library.model_path(MODEL_ID).read_text(encoding="utf-8")
    name = models_library.get_model(MODEL_ID).name
    assert name in shipped
    return shipped.replace(name, "检察官改过的醉驾模型", 1)


def test_an_uncertified_draft_of_a_built_in_id_does_not_replace_the_shipped_model(demo_ws):
    gov = GovernanceService(demo_ws)
    gov.save(_edited_source(), "jj_jcg")                     # a 检察官 of the 区院
    shipped = models_library.get_model(MODEL_ID)

    assert catalogue.runnable(demo_ws, MODEL_ID) == shipped
    assert catalogue.trial(demo_ws, MODEL_ID).name == "检察官改过的醉驾模型"      # the sandbox tries the draft
    card = next(c for c in catalogue.cards(demo_ws) if c["model_id"] == MODEL_ID)
    assert card["name"] == shipped.name

    gov.submit(MODEL_ID, "jj_jcg")
    gov.certify(MODEL_ID, "业务认证", "shi_lingdao", EVAL_OK)
    assert catalogue.runnable(demo_ws, MODEL_ID) == shipped           # business certification alone: no

    gov.certify(MODEL_ID, "数字认证", "shi_shuzi", EVAL_OK)
    assert catalogue.runnable(demo_ws, MODEL_ID).name == "检察官改过的醉驾模型"
    card = next(c for c in catalogue.cards(demo_ws) if c["model_id"] == MODEL_ID)
    assert card["name"] == "检察官改过的醉驾模型"


def test_a_workspace_model_still_runs_its_latest_draft(demo_ws):
    """Models that are not built in run freely as drafts (their author tries them); only built-in ids are held."""
    source = _edited_source().replace(f"id: {MODEL_ID}", "id: my-drunk-driving", 1)
    assert "id: my-drunk-driving" in source
    GovernanceService(demo_ws).save(source, "jj_jcg")
    assert catalogue.runnable(demo_ws, "my-drunk-driving").name == "检察官改过的醉驾模型"
