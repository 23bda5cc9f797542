"""Hotspots (热点): a burst of messages on one topic, place or merchant against its own baseline.

For every group, the daily count is compared with the mean and standard deviation of that group's
own previous ``window`` days (days without messages count as 0, the day itself is excluded): a day is
a burst when ``count > mean + k·σ`` and ``count ≥ min_count``.  A quiet merchant that suddenly gets
five complaints bursts — also one never complained about before, whose baseline is all zeros; a busy
topic with its usual fifty a day does not.  The data's first ``min_history`` days have too short a
baseline and are not judged.  Computed in DuckDB (window functions over a dense
calendar per group), so a year of a million messages takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa


@dataclass
class Burst:
    group: str
    day: str
    count: int
    mean: float
    std: float
    threshold: float
    messages: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"group": self.group, "day": self.day, "count": self.count, "mean": round(self.mean, 2),
                "std": round(self.std, 2), "threshold": round(self.threshold, 2), "messages": self.messages}


SQL = """
WITH ev AS (SELECT key, TRY_CAST(day AS DATE) AS day, grp, excerpt FROM events),
daily AS (SELECT grp, day, count(DISTINCT key) AS n FROM ev WHERE day IS NOT NULL GROUP BY grp, day),
bounds AS (SELECT least(min(day), coalesce(TRY_CAST($since AS DATE), min(day))) AS lo, max(day) AS hi FROM daily),
calendar AS (SELECT CAST(d AS DATE) AS day FROM bounds, range(lo, hi + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)),
groups AS (SELECT DISTINCT grp FROM daily),
dense AS (SELECT g.grp, c.day, coalesce(d.n, 0) AS n, c.day - b.lo AS age
          FROM groups g CROSS JOIN calendar c CROSS JOIN bounds b
          LEFT JOIN daily d ON d.grp = g.grp AND d.day = c.day),
scored AS (SELECT grp, day, n, age,
                  avg(n) OVER w AS mean, coalesce(stddev_pop(n) OVER w, 0) AS std
           FROM dense WINDOW w AS (PARTITION BY grp ORDER BY day ROWS BETWEEN $window PRECEDING AND 1 PRECEDING))
SELECT grp, CAST(day AS VARCHAR), n, coalesce(mean, 0), std, coalesce(mean, 0) + $k * std AS threshold
FROM scored
WHERE n >= $min_count AND n > coalesce(mean, 0) + $k * std AND age >= $min_history
ORDER BY day, n DESC, grp
"""


def find_bursts(events: list[tuple[str, str, str, str]], *, window: int = 28, k: float = 3.0, min_count: int = 3,
                min_history: int = 7, max_messages: int = 20, since: str | None = None) -> list[Burst]:
    """Bursts in ``events`` = (message key, day 'YYYY-MM-DD', group, excerpt); ``since``: the first
    day of the data (the baseline of every group starts there, not at its first message)."""
    if not events:
        return []
    table = pa.table({"key": [e[0] for e in events], "day": [e[1] for e in events],
                      "grp": [e[2] for e in events], "excerpt": [e[3] for e in events]})
    con = duckdb.connect()
    try:
        con.register("events", table)
        rows = con.execute(SQL, {"window": int(window), "k": float(k), "min_count": int(min_count),
                                 "min_history": int(min_history), "since": since}).fetchall()
    finally:
        con.close()
    by_day: dict[tuple[str, str], list[dict]] = {}
    for key, day, grp, excerpt in events:
        items = by_day.setdefault((grp, day), [])
        if len(items) < max_messages and all(i["key"] != key for i in items):
            items.append({"key": key, "excerpt": excerpt})
    return [Burst(g, d, int(n), float(m), float(s), float(t), by_day.get((g, d), [])) for g, d, n, m, s, t in rows]
