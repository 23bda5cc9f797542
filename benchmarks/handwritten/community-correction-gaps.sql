-- community correction by hand: R1 sentences never (or late) reported; R2 custody periods during correction
-- without a handling record.
CREATE TEMP TABLE h_roster AS
SELECT "身份证号" AS person, "案号" AS case_no, coalesce("报到日期", "入矫日期") AS reported,
       coalesce("入矫日期", "报到日期") AS span_start, coalesce("解矫日期", "矫正期满日期", current_date) AS span_stop,
       "姓名" AS name, _row_id AS row_id
FROM {{社区矫正对象}};

WITH due AS (
  SELECT "身份证号" AS person, "姓名" AS name, "案号" AS case_no, "刑罚类型" AS kind, "生效日期" AS effective, _row_id AS row_id
  FROM {{判处非监禁刑人员}} s
  WHERE regexp_matches(coalesce("刑罚类型", ''), '管制|缓刑|假释') AND "身份证号" IS NOT NULL AND "生效日期" IS NOT NULL
    AND "生效日期" + 10 < current_date
    AND NOT EXISTS (SELECT 1 FROM h_roster r WHERE r.person = s."身份证号" AND r.reported <= s."生效日期" + 10
                    AND (r.case_no = s."案号" OR r.reported >= s."生效日期"))
), per_sentence AS (
  SELECT d.person, d.case_no, d.kind, d.effective, min(d.name) AS name, min(r.reported) AS report, list(d.row_id) AS rows
  FROM due d LEFT JOIN h_roster r ON r.person = d.person AND (r.case_no = d.case_no OR r.reported >= d.effective)
  GROUP BY 1, 2, 3, 4
), r1 AS (
  SELECT person AS subject, 'R1' AS rule, arg_min(name, (effective, case_no)) AS name, count(*) AS 次数,
         min(effective) AS 关键日期, flatten(list(rows)) AS rows
  FROM per_sentence GROUP BY person
), spans AS (
  SELECT "身份证号" AS person, "入所日期" AS held_from, coalesce("出所日期", current_date) AS stop, "羁押性质" AS held_kind,
         "看守所名称" AS held_place, _row_id AS row_id
  FROM {{看守所出入所}} WHERE "身份证号" IN (SELECT person FROM h_roster) AND "入所日期" IS NOT NULL
  UNION ALL
  SELECT "身份证号", "入所日期", coalesce("出所日期", current_date), "拘留类型", "拘留所名称", _row_id
  FROM {{拘留所出入所}} WHERE "身份证号" IN (SELECT person FROM h_roster) AND "入所日期" IS NOT NULL
), reach AS (
  SELECT *, max(stop) OVER w AS reach FROM spans WINDOW w AS (PARTITION BY person ORDER BY held_from, stop)
), opens AS (
  SELECT *, CASE WHEN lag(reach) OVER w IS NULL OR held_from > lag(reach) OVER w + 1 THEN 1 ELSE 0 END AS opens
  FROM reach WINDOW w AS (PARTITION BY person ORDER BY held_from, stop)
), periods AS (
  SELECT person, period, min(held_from) AS period_from, min(held_kind) AS held_kind, min(held_place) AS held_place,
         list(row_id) AS rows
  FROM (SELECT *, sum(opens) OVER (PARTITION BY person ORDER BY held_from, stop) AS period FROM opens)
  GROUP BY person, period
), not_handled AS (
  SELECT p.person, p.period, min(r.name) AS name, min(r.case_no) AS case_no, min(p.period_from) AS period_from,
         min(p.held_kind) AS held_kind, any_value(p.rows) AS rows
  FROM periods p JOIN h_roster r ON r.person = p.person AND p.period_from >= r.span_start AND p.period_from <= r.span_stop
  WHERE NOT EXISTS (SELECT 1 FROM {{社区矫正处置记录}} h WHERE h."身份证号" = p.person
                    AND regexp_matches(coalesce(h."处置类型", ''), '知悉|撤销缓刑|撤销假释|收监')
                    AND h."处置日期" >= p.period_from AND h."处置日期" <= p.period_from + 15)
  GROUP BY p.person, p.period
), r2 AS (
  SELECT person AS subject, 'R2' AS rule, min(name) AS name, count(*) AS 次数, min(period_from) AS 关键日期,
         flatten(list(rows)) AS rows
  FROM not_handled GROUP BY person
)
SELECT * FROM r1 UNION ALL SELECT * FROM r2
