-- M1 by hand: custody and prison spans merged into continuous periods; monthly pension of the
-- persons who have a period (semi-join before the distinct and the monthly sums); R2 adjustments
-- during community correction.
CREATE TEMP TABLE h_periods AS
WITH spans AS (
  SELECT "身份证号" AS person, "姓名" AS name, coalesce("羁押性质", '羁押') AS kind, "入所日期" AS start,
         coalesce("出所日期", current_date) AS stop, "看守所名称" AS place, _row_id AS custody_row, NULL::BIGINT AS prison_row
  FROM {{看守所出入所}}
  WHERE "身份证号" IS NOT NULL AND "入所日期" IS NOT NULL AND NOT regexp_matches(coalesce("羁押性质", ''), '监视居住|取保候审')
  UNION ALL
  SELECT "身份证号", "姓名", '监狱服刑', "收监日期", coalesce("释放日期", current_date), "监狱名称", NULL, _row_id
  FROM {{监狱服刑人员}}
  WHERE "身份证号" IS NOT NULL AND "收监日期" IS NOT NULL
), reach AS (
  SELECT *, max(stop) OVER (PARTITION BY person ORDER BY start, stop) AS reach FROM spans
), opens AS (
  SELECT *, CASE WHEN lag(reach) OVER (PARTITION BY person ORDER BY start, stop) IS NULL
                   OR start > lag(reach) OVER (PARTITION BY person ORDER BY start, stop) + 1 THEN 1 ELSE 0 END AS opens
  FROM reach
), numbered AS (
  SELECT *, sum(opens) OVER (PARTITION BY person ORDER BY start, stop) AS period FROM opens
)
SELECT person, period, min(name) AS name, min(kind) AS kind, min(place) AS place, min(start) AS period_start,
       max(stop) AS period_stop, date_trunc('month', min(start)) AS start_month, date_trunc('month', max(stop)) AS end_month,
       list(custody_row) AS custody_rows, list(prison_row) AS prison_rows
FROM numbered GROUP BY person, period;

WITH months AS (
  SELECT person, month, sum(amount) AS paid, min(payer) AS payer, list(pension_row) AS pension_rows
  FROM (SELECT DISTINCT "身份证号" AS person, "发放年月" AS month, "发放金额" AS amount, "发放机构" AS payer,
               min(_row_id) OVER (PARTITION BY "身份证号", "发放年月", "发放金额", "发放机构") AS pension_row
        FROM {{养老金发放}} WHERE "身份证号" IN (SELECT person FROM h_periods))
  GROUP BY person, month HAVING sum(amount) > 0
), r1 AS (
  SELECT m.person AS subject, 'R1' AS rule, min(p.name) AS name, count(*) AS 次数, round(sum(m.paid), 2) AS 金额合计,
         min(m.month) AS 最早日期, max(m.month) AS 最晚日期, min(p.period_start) AS 羁押起始, min(p.kind) AS 羁押性质,
         min(p.place) AS 羁押场所, min(m.payer) AS 发放机构, flatten(list(m.pension_rows)) AS rows
  FROM months m JOIN h_periods p ON m.person = p.person
   AND m.month > p.start_month + INTERVAL 1 MONTH AND m.month < p.end_month
  GROUP BY m.person
), r2 AS (
  SELECT a.person AS subject, 'R2' AS rule, min(r."姓名") AS name, count(DISTINCT (a.day, a.delta, a.payer)) AS 次数,
         NULL AS 金额合计, min(a.day) AS 最早日期, max(a.day) AS 最晚日期, min(r."入矫日期") AS 羁押起始,
         min(coalesce(r."矫正类别", '社区矫正')) AS 羁押性质, NULL AS 羁押场所, min(a.payer) AS 发放机构, list(a.row_id) AS rows
  FROM (SELECT DISTINCT "身份证号" AS person, "调整日期" AS day, "调整金额" AS delta, "经办机构" AS payer,
               min(_row_id) OVER (PARTITION BY "身份证号", "调整日期", "调整金额", "经办机构") AS row_id
        FROM {{养老金待遇调整}} WHERE "调整金额" > 0) a
  JOIN {{社区矫正对象}} r ON a.person = r."身份证号"
   AND a.day >= r."入矫日期" AND a.day <= coalesce(r."解矫日期", r."矫正期满日期", current_date)
  GROUP BY a.person
)
SELECT * FROM r1 UNION ALL SELECT * FROM r2
