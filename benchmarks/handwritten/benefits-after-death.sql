-- benefits after death by hand: one death date per person, then monthly payments and bills of the dead only.
CREATE TEMP TABLE h_deaths AS
SELECT person, min(name) AS name, min(day) AS death_date, min(concat(CAST(day AS VARCHAR), ' ', source)) AS basis,
       date_trunc('month', min(day)) AS death_month
FROM (
  SELECT "身份证号" AS person, "姓名" AS name, "注销日期" AS day, '户籍注销' AS source FROM {{户籍注销}}
  WHERE regexp_matches(coalesce("注销原因", ''), '死亡')
  UNION ALL SELECT "身份证号", "姓名", "火化日期", '火化记录' FROM {{火化记录}}
  UNION ALL SELECT "身份证号", "姓名", "死亡日期", '死亡医学证明' FROM {{死亡医学证明}}
) WHERE person IS NOT NULL AND day IS NOT NULL
GROUP BY person;

WITH pension AS (
  SELECT person, month, sum(amount) AS paid, min(payer) AS payer, list(row_id) AS rows
  FROM (SELECT "身份证号" AS person, "发放年月" AS month, "发放金额" AS amount, "发放机构" AS payer, min(_row_id) AS row_id
        FROM {{养老金发放}} WHERE "身份证号" IN (SELECT person FROM h_deaths) GROUP BY 1, 2, 3, 4)
  GROUP BY 1, 2 HAVING sum(amount) > 0
), elderly AS (
  SELECT person, month, sum(amount) AS paid, min(payer) AS payer, list(row_id) AS rows
  FROM (SELECT "身份证号" AS person, "发放年月" AS month, "发放金额" AS amount, "乡镇街道" AS payer, min(_row_id) AS row_id
        FROM {{高龄津贴发放}} WHERE "身份证号" IN (SELECT person FROM h_deaths) GROUP BY 1, 2, 3, 4)
  GROUP BY 1, 2 HAVING sum(amount) > 0
), r12 AS (
  SELECT p.person AS subject, rule, min(d.name) AS name, min(d.death_date) AS 死亡日期, count(*) AS 次数,
         round(sum(paid), 2) AS 金额合计, min(month) AS 最早日期, max(month) AS 最晚日期, min(payer) AS 支付单位,
         flatten(list(rows)) AS rows
  FROM (SELECT *, 'R1' AS rule FROM pension UNION ALL SELECT *, 'R2' FROM elderly) p
  JOIN h_deaths d ON d.person = p.person AND p.month > d.death_month
  GROUP BY p.person, rule
), bills AS (
  SELECT person, coalesce(bill, concat(coalesce(hospital, ''), '|', coalesce(CAST(settled AS VARCHAR), ''), '|',
                                       coalesce(CAST(admitted AS VARCHAR), ''))) AS bill_key,
         sum(fund) AS fund_net, min(hospital) AS hospital, min(admitted) AS admitted, max(discharged) AS discharged,
         min(settled) AS settled, max(leave) AS leave, list(row_id) AS rows
  FROM (SELECT "结算单号" AS bill, "身份证号" AS person, "医疗机构" AS hospital, "入院日期" AS admitted, "出院日期" AS discharged,
               "结算日期" AS settled, "离院方式" AS leave, "统筹支付金额" AS fund, min(_row_id) AS row_id
        FROM {{医保结算}} WHERE "身份证号" IN (SELECT person FROM h_deaths) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
  GROUP BY 1, 2 HAVING sum(fund) > 0
), r3 AS (
  SELECT b.person AS subject, 'R3' AS rule, min(d.name) AS name, min(d.death_date) AS 死亡日期, count(*) AS 次数,
         round(sum(fund_net), 2) AS 金额合计, min(e.episode_end) AS 最早日期, max(e.episode_end) AS 最晚日期,
         min(hospital) AS 支付单位, flatten(list(rows)) AS rows
  FROM bills b JOIN h_deaths d ON d.person = b.person,
       LATERAL (SELECT CASE WHEN regexp_matches(coalesce(b.leave, ''), '死亡') AND coalesce(b.admitted <= d.death_date, false)
                            AND b.discharged IS NULL THEN d.death_date ELSE coalesce(b.discharged, b.settled) END AS episode_end) e
  WHERE e.episode_end > d.death_date + 1
  GROUP BY b.person
)
SELECT * FROM r12 UNION ALL SELECT * FROM r3
