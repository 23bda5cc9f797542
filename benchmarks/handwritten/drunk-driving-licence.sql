-- M5 by hand: licence events classified once into a small table; R1 holders without a revocation,
-- R2 licences granted inside the ban, R3 tickets after a loss without a new licence.
CREATE TEMP TABLE h_ev AS
SELECT "身份证号" AS person, "业务日期" AS day, "业务类型" AS kind, "决定书编号" AS doc, _row_id AS row_id,
       regexp_matches("业务类型", '初次申领|初领|重新申领|重新取得') AS is_grant,
       regexp_matches("业务类型", '吊销|注销') AS is_loss,
       regexp_matches("业务类型", '吊销') AS is_revoke
FROM {{驾驶证业务记录}}
WHERE "身份证号" IS NOT NULL AND "业务日期" IS NOT NULL AND NOT regexp_matches(coalesce("业务类型", ''), '准驾车型')
  AND regexp_matches("业务类型", '初次申领|初领|重新申领|重新取得|吊销|注销');

CREATE TEMP TABLE h_cases AS
SELECT "案件编号" AS case_no, "身份证号" AS person, "姓名" AS name, "违法日期" AS offence, "生效日期" AS effective,
       "处理结果" AS result, "是否营运车辆" AS trade, _row_id AS row_id
FROM {{危险驾驶案件}}
WHERE regexp_matches(coalesce("处理结果", ''), '有罪|判处|判决|定罪|相对不起诉|酌定不起诉|免予刑事处罚')
  AND NOT regexp_matches(coalesce("处理结果", ''), '无罪|存疑|证据不足|法定不起诉|绝对不起诉|不构成犯罪|撤案|撤销案件|撤回')
  AND "身份证号" IS NOT NULL AND "违法日期" IS NOT NULL AND "违法日期" >= DATE '2011-05-01'
  AND coalesce("血液酒精含量" >= 80, true);

WITH r1_cases AS (
  SELECT c.person, c.case_no, c.offence, c.effective, c.result, min(c.name) AS name, list(DISTINCT c.row_id) AS rows
  FROM h_cases c JOIN h_ev g ON g.person = c.person AND g.is_grant AND g.day <= c.offence
  WHERE c.effective IS NOT NULL AND c.effective + 30 < current_date
    AND NOT EXISTS (SELECT 1 FROM h_ev l WHERE l.person = c.person AND l.is_loss AND l.day > g.day AND l.day < c.offence)
  GROUP BY c.person, c.case_no, c.offence, c.effective, c.result
), r1 AS (
  SELECT person AS subject, 'R1' AS rule, arg_min(name, (offence, case_no)) AS name, count(*) AS 次数,
         min(offence) AS 违法日期, flatten(list(rows)) AS rows
  FROM r1_cases r
  WHERE NOT EXISTS (SELECT 1 FROM h_ev v WHERE v.person = r.person AND v.is_revoke
                    AND v.day >= r.offence AND v.day <= r.effective + 30)
  GROUP BY person
), bans AS (
  SELECT c.person, c.case_no, c.offence, min(c.name) AS name,
         CASE WHEN coalesce(CAST(c.trade AS VARCHAR) IN ('是', 'true', 'TRUE', 'True', 'Y', 'y', '1', '营运'), false)
              THEN 120 ELSE 60 END AS ban_months,
         coalesce(min(v.day), c.offence) AS ban_start
  FROM h_cases c LEFT JOIN h_ev v ON v.person = c.person AND v.is_revoke AND v.day >= c.offence
  GROUP BY c.person, c.case_no, c.offence, 5
), r2 AS (
  SELECT b.person AS subject, 'R2' AS rule, min(b.name) AS name, count(DISTINCT (b.case_no, b.offence, b.ban_months, b.ban_start)) AS 次数,
         min(b.offence) AS 违法日期, list(g.row_id) AS rows
  FROM bans b JOIN h_ev g ON g.person = b.person AND g.is_grant AND g.day > b.offence
   AND g.day < b.ban_start + to_months(b.ban_months)
  GROUP BY b.person
), r3 AS (
  SELECT t.person AS subject, 'R3' AS rule, min(t.name) AS name,
         count(DISTINCT t.ticket_key) AS 次数, min(t.drove) AS 违法日期, list(t.row_id) AS rows
  FROM (SELECT "驾驶人身份证号" AS person, "驾驶人姓名" AS name, "违法日期" AS drove, _row_id AS row_id,
               coalesce("决定书编号", concat(CAST("违法日期" AS VARCHAR), '|', coalesce("违法行为", ''), '|', coalesce("号牌号码", ''))) AS ticket_key
        FROM {{交通违法}} WHERE "驾驶人身份证号" IN (SELECT person FROM h_ev WHERE is_loss)) t
  JOIN h_ev l ON l.person = t.person AND l.is_loss AND t.drove > l.day
  WHERE NOT EXISTS (SELECT 1 FROM h_ev g WHERE g.person = t.person AND g.is_grant AND g.day > l.day AND g.day <= t.drove)
  GROUP BY t.person
)
SELECT subject, rule, name, 次数, 违法日期, rows FROM r1
UNION ALL SELECT subject, rule, name, 次数, 违法日期, rows FROM r2
UNION ALL SELECT subject, rule, name, 次数, 违法日期, rows FROM r3
