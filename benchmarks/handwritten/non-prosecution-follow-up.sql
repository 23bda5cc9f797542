-- non-prosecution follow-up by hand: R1 an opinion asking for an administrative penalty after non-prosecution with
-- neither a penalty nor a written reply within two months; R2 a case not arrested for lack of a crime or of evidence
-- still open twelve months later. One clue per person and rule, the earliest opinion or decision.
WITH due AS (
  SELECT "身份证号" AS person, "检察意见书文号" AS no, "不起诉决定书文号" AS doc, "制发日期" AS issued,
         min("姓名") AS name, min("被建议机关") AS target, list(_row_id) AS rows
  FROM {{检察意见}}
  WHERE regexp_matches(coalesce("意见类型", ''), '行政处罚|处分|没收违法所得') AND "身份证号" IS NOT NULL
    AND "制发日期" IS NOT NULL AND "制发日期" + INTERVAL 2 MONTH < current_date
  GROUP BY 1, 2, 3, 4
), decided AS (
  SELECT "不起诉决定书文号" AS doc, min("决定日期") AS decided, min("不起诉类型") AS np_kind, min("案由") AS charge,
         list(_row_id) AS np_rows
  FROM {{不起诉决定}} WHERE "不起诉决定书文号" IN (SELECT doc FROM due)
  GROUP BY 1
), r1_all AS (
  SELECT o.*, d.decided, d.np_kind, d.charge, d.np_rows
  FROM due o LEFT JOIN decided d ON d.doc = o.doc
  WHERE NOT EXISTS (SELECT 1 FROM {{行政处罚}} p WHERE p."身份证号" = o.person
                      AND p."处罚决定日期" BETWEEN coalesce(d.decided, o.issued) AND o.issued + INTERVAL 2 MONTH)
    AND NOT EXISTS (SELECT 1 FROM {{检察意见回复}} r WHERE r."检察意见书文号" = o.no
                      AND r."回复日期" <= o.issued + INTERVAL 2 MONTH)
), r1 AS (
  SELECT person AS subject, 'R1' AS rule, name, '检察意见制发后逾期未处罚、未回复' AS 情形, coalesce(no, '（无文号）') AS 文书编号,
         issued AS 关键日期, count(*) OVER w AS 次数,
         concat(coalesce(np_kind, '不起诉'), '（', coalesce(charge, ''), '）后于', issued, '向', coalesce(target, '主管机关'),
                '制发检察意见，2个月内无行政处罚、无书面回复',
                CASE WHEN count(*) OVER w > 1 THEN concat('（共 ', count(*) OVER w, ' 份意见）') ELSE '' END) AS 说明,
         rows, np_rows AS other_rows
  FROM r1_all
  WINDOW w AS (PARTITION BY person)
  QUALIFY row_number() OVER (PARTITION BY person ORDER BY issued, no) = 1
), not_arrested AS (
  SELECT "公安案件编号" AS case_no, "身份证号" AS person, "姓名" AS name, "不捕理由" AS reason, "决定日期" AS decided,
         "案由" AS charge, _row_id AS row_id
  FROM {{审查逮捕决定}} n
  WHERE regexp_matches(coalesce("决定类型", ''), '不批准逮捕|不予批准逮捕|不捕')
    AND regexp_matches(coalesce("不捕理由", ''), '不构成犯罪|不构罪|证据不足')
    AND "身份证号" IS NOT NULL AND "公安案件编号" IS NOT NULL AND "决定日期" IS NOT NULL
    AND "决定日期" + INTERVAL 12 MONTH < current_date
    AND NOT EXISTS (SELECT 1 FROM {{审查逮捕决定}} a
                    WHERE a."公安案件编号" = n."公安案件编号" AND a."身份证号" = n."身份证号" AND a."决定日期" >= n."决定日期"
                      AND regexp_matches(coalesce(a."决定类型", ''), '批准逮捕|决定逮捕')
                      AND NOT regexp_matches(coalesce(a."决定类型", ''), '不批准逮捕|不予批准逮捕|不捕'))
), closings AS (
  SELECT "案件编号" AS case_no, "处理类型" AS how, "处理日期" AS closed, _row_id AS row_id
  FROM {{公安案件处理}}
  WHERE regexp_matches(coalesce("处理类型", ''), '撤销案件|撤案|终止侦查|移送审查起诉|移送起诉')
    AND "案件编号" IN (SELECT case_no FROM not_arrested)
), pending AS (
  SELECT n.person, n.case_no, n.decided, min(n.name) AS name, min(n.reason) AS reason, min(n.charge) AS charge,
         min(c.closed) AS closed_at, count(c.how) AS closing_n, list_distinct(list(n.row_id)) AS rows,
         list_distinct(list(c.row_id)) AS closing_rows
  FROM not_arrested n LEFT JOIN closings c ON c.case_no = n.case_no
  WHERE NOT EXISTS (SELECT 1 FROM closings k WHERE k.case_no = n.case_no AND k.closed <= n.decided + INTERVAL 12 MONTH)
  GROUP BY 1, 2, 3
), r2 AS (
  SELECT person AS subject, 'R2' AS rule, name, concat('以', reason, '不批准逮捕后超过12个月未结案（挂案）') AS 情形,
         case_no AS 文书编号, decided AS 关键日期, count(*) OVER w AS 次数,
         concat(coalesce(charge, ''), '案，', decided, '不捕，',
                CASE WHEN closed_at IS NOT NULL THEN concat(closed_at, '才处理')
                     WHEN closing_n > 0 THEN '有撤案等处理记录但处理日期空白' ELSE '至今无撤案、终止侦查或移送起诉记录' END,
                CASE WHEN count(*) OVER w > 1 THEN concat('（共 ', count(*) OVER w, ' 案）') ELSE '' END) AS 说明,
         rows, closing_rows AS other_rows
  FROM pending
  WINDOW w AS (PARTITION BY person)
  QUALIFY row_number() OVER (PARTITION BY person ORDER BY decided, case_no) = 1
)
SELECT * FROM r1 UNION ALL SELECT * FROM r2
