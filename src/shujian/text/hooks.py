"""Screening on new data: called after every import into the catalog and by the worker.

A failed screening never fails the import that triggered it (the data is in; the subscription
is screened again by the next import or worker tick, which picks up every unscreened version).
"""

from __future__ import annotations

import logging

from shujian.errors import ShujianError
from shujian.workspace import Workspace

log = logging.getLogger(__name__)


def after_import(ws: Workspace, dataset: str, trigger: str = "import") -> list[dict]:
    """Screen the subscriptions of ``dataset`` on its new version(s); [] when there are none."""
    from shujian.text.tables import TextSubscription

    try:
        with ws.db.unit_of_work() as s:
            if not s.query(TextSubscription.id).filter_by(dataset=dataset, active=True).first():
                return []
        # imported only when there is something to screen: the service pulls in the text rules and the
        # matcher (≈ 0.3 s), which an import of a dataset nobody subscribes to should not pay
        from shujian.text.subscriptions import SubscriptionService

        return SubscriptionService(ws).screen_due(trigger, dataset=dataset)
    except ShujianError as exc:
        log.warning("关键词订阅筛查失败（数据集 %s）：%s", dataset, exc.message)
        return [{"dataset": dataset, "error": exc.message}]


def screen_all(ws: Workspace, trigger: str = "schedule") -> list[dict]:
    """Every active subscription with an unscreened version (the worker's tick)."""
    from shujian.text.subscriptions import SubscriptionService

    try:
        return SubscriptionService(ws).screen_due(trigger)
    except ShujianError as exc:
        log.warning("关键词订阅筛查失败：%s", exc.message)
        return [{"error": exc.message}]
