-- M? by hand: custody/prison spans merged into periods; bills (net of reversals) of ordinary hospitals
-- for persons with a period, overlapping a period, without approved outside treatment.
CREATE TEMP TABLE h_periods AS
WITH spans AS (
  SELECT "身份证号" AS person, "入所日期" AS start, coalesce("出所日期", current_date) AS stop,
         "羁押性质" AS kind, "看守所名称" AS place
  FROM {{看守所出入所}}
  WHERE "身份证号" IS NOT NULL AND "入所日期" IS NOT NULL AND NOT regexp_matches(coalesce("羁押性质", ''), '监视居住|取保候审')
  UNION ALL
  SELECT "身份证号", "收监日期", coalesce("释放日期", current_date), '监狱服刑', "监狱名称"
  FROM {{监狱服刑人员}} WHERE "身份证号" IS NOT NULL AND "收监日期" IS NOT NULL
), reach AS (
  SELECT *, max(stop) OVER w AS reach FROM spans WINDOW w AS (PARTITION BY person ORDER BY start, stop)
), opens AS (
  SELECT *, CASE WHEN lag(reach) OVER w IS NULL OR start > lag(reach) OVER w + 1 THEN 1 ELSE 0 END AS opens
  FROM reach WINDOW w AS (PARTITION BY person ORDER BY start, stop)
), numbered AS (
  SELECT *, sum(opens) OVER (PARTITION BY person ORDER BY start, stop) AS period FROM opens
)
SELECT person, period, min(start) AS period_from, max(stop) AS period_to, min(kind) AS held_kind, min(place) AS held_place
FROM numbered GROUP BY person, period;

WITH rows AS (
  SELECT DISTINCT "结算单号" AS bill, "身份证号" AS person, "姓名" AS name, "医疗机构" AS hospital, "入院日期" AS admitted,
         "出院日期" AS discharged, "结算日期" AS settled, "统筹支付金额" AS fund
  FROM {{医保结算}} WHERE "身份证号" IN (SELECT person FROM h_periods)
), bills AS (
  SELECT person, coalesce(bill, concat(coalesce(hospital, ''), '|', coalesce(CAST(settled AS VARCHAR), ''), '|',
                                       coalesce(CAST(admitted AS VARCHAR), ''))) AS bill_key,
         min(name) AS name, min(hospital) AS hospital, min(coalesce(admitted, settled)) AS visit_from,
         max(coalesce(discharged, admitted, settled)) AS visit_to, sum(fund) AS fund_net
  FROM rows GROUP BY 1, 2
  HAVING sum(fund) > 0 AND NOT regexp_matches(coalesce(min(hospital), ''), '台州市公安局监管医院|浙江省监狱中心医院')
), hits AS (
  SELECT b.person, b.bill_key, min(b.name) AS name, min(b.hospital) AS hospital, min(b.visit_from) AS visit_from,
         max(b.visit_to) AS visit_to, max(b.fund_net) AS fund_net, min(p.held_kind) AS held_kind,
         min(p.held_place) AS held_place, min(p.period_from) AS period_from
  FROM bills b JOIN h_periods p ON p.person = b.person AND b.visit_from < p.period_to AND b.visit_to > p.period_from
  WHERE NOT EXISTS (SELECT 1 FROM {{所外就医记录}} o WHERE o."身份证号" = b.person AND o."出所就医日期" <= b.visit_to
                    AND coalesce(o."返所日期", current_date) >= b.visit_from)
  GROUP BY b.person, b.bill_key
), evidence AS (
  SELECT "身份证号" AS person, list(_row_id) AS rows FROM {{医保结算}}
  WHERE "身份证号" IN (SELECT person FROM hits) GROUP BY 1
)
SELECT h.person AS subject, 'R1' AS rule, min(name) AS name, count(*) AS 次数, round(sum(fund_net), 2) AS 统筹支付合计,
       min(visit_from) AS 最早入院, max(visit_to) AS 最晚出院, min(coalesce(hospital, '（未登记医疗机构）')) AS 医疗机构,
       min(coalesce(held_kind, '羁押')) AS 羁押性质, min(held_place) AS 羁押场所, min(period_from) AS 羁押起始,
       any_value(e.rows) AS rows
FROM hits h LEFT JOIN evidence e USING (person)
GROUP BY h.person
