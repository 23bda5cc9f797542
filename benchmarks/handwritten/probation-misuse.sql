-- probation misuse by hand: defendants given probation whose principal penalty (R1) or probation term (R2) is outside
-- 刑法 72/73, who are recidivists under 65 (R3: an adult intentional crime within five years of serving an adult
-- fixed-term sentence), or ringleaders after 2011-05-01 (R4). One clue per defendant and rule, the earliest judgment.
CREATE TEMP TABLE h_probation AS
SELECT "文书编号" AS doc, "被告人序号" AS seq, "案号" AS case_no, "身份证号" AS person, "姓名" AS name, "罪名" AS charge,
       "刑种" AS kind, "刑期月数" AS term, "缓刑月数" AS probation, "犯罪日期" AS offence_date, "首要分子" AS leader,
       "出生日期" AS birth, _row_id AS row_id
FROM {{刑事判决被告人}}
WHERE "缓刑月数" > 0;

WITH adults AS (
  -- R3's later crime: fixed-term, committed after the 18th birthday (birth date, else the ID number's)
  SELECT * FROM h_probation
  WHERE offence_date IS NOT NULL AND kind = '有期徒刑'
    AND coalesce(strftime(offence_date, '%Y%m%d')::INT >
                 coalesce(strftime(birth, '%Y%m%d')::INT,
                          CASE WHEN regexp_matches(person, '^[0-9]{17}[0-9X]$') THEN substr(person, 7, 8)::INT
                               WHEN regexp_matches(person, '^[0-9]{15}$') THEN 19000000 + substr(person, 7, 6)::INT END)
                 + 180000, true)
), intentional AS (
  -- at least one intentional count sentenced to fixed-term or more (the defendant's own charge when no counts)
  SELECT a.* FROM adults a
  WHERE EXISTS (SELECT 1 FROM {{刑事判决罪名}} c WHERE c."文书编号" = a.doc AND c."被告人序号" = a.seq
                  AND coalesce(c."刑种", a.kind) IN ('有期徒刑', '无期徒刑', '死刑缓期二年执行', '死刑')
                  AND NOT regexp_matches(coalesce(c."罪名", ''), '过失|交通肇事罪|重大责任事故罪|重大劳动安全事故罪|失火罪|玩忽职守罪|医疗事故罪|工程重大安全事故罪|教育设施重大安全事故罪|消防责任事故罪')
                  AND NOT regexp_matches(coalesce(c."罪名", ''), '危险驾驶罪|使用虚假身份证件、盗用身份证件罪|代替考试罪'))
     OR (NOT EXISTS (SELECT 1 FROM {{刑事判决罪名}} c WHERE c."文书编号" = a.doc AND c."被告人序号" = a.seq)
         AND NOT regexp_matches(coalesce(a.charge, ''), '过失|交通肇事罪|重大责任事故罪|重大劳动安全事故罪|失火罪|玩忽职守罪|医疗事故罪|工程重大安全事故罪|教育设施重大安全事故罪|消防责任事故罪')
         AND NOT regexp_matches(coalesce(a.charge, ''), '危险驾驶罪|使用虚假身份证件、盗用身份证件罪|代替考试罪'))
), r3 AS (
  SELECT a.case_no, a.person, a.name, a.charge, a.kind, a.term, a.probation, a.offence_date, 'R3' AS rule,
         concat('前罪', coalesce(p."前科罪名", '（罪名不详）'), p."前科刑种", '，', p."释放日期", '释放') AS reason,
         coalesce(p."前科罪名", '') AS prior_case, a.row_id, p._row_id AS prior_row
  FROM intentional a JOIN {{刑事判决前科}} p ON p."文书编号" = a.doc AND p."被告人序号" = a.seq
  WHERE p."前科刑种" IN ('有期徒刑', '无期徒刑', '死刑缓期二年执行', '死刑') AND p."释放日期" IS NOT NULL
    AND NOT regexp_matches(coalesce(p."前科罪名", ''), '过失|交通肇事罪|重大责任事故罪|重大劳动安全事故罪|失火罪|玩忽职守罪|医疗事故罪|工程重大安全事故罪|教育设施重大安全事故罪|消防责任事故罪')
    AND a.offence_date BETWEEN p."释放日期" AND p."释放日期" + to_months(60)
    -- the prior judgment (else release minus the term) not before the 18th birthday
    AND NOT coalesce(strftime(coalesce(p."前科判决日期", p."释放日期" - to_months(p."前科刑期月数")), '%Y%m%d')::INT
                     <= coalesce(strftime(a.birth, '%Y%m%d')::INT,
                                 CASE WHEN regexp_matches(a.person, '^[0-9]{17}[0-9X]$') THEN substr(a.person, 7, 8)::INT
                                      WHEN regexp_matches(a.person, '^[0-9]{15}$') THEN 19000000 + substr(a.person, 7, 6)::INT END)
                        + 180000, false)
), hit_rows AS (
  SELECT case_no, person, name, charge, kind, term, probation, offence_date, 'R1' AS rule,
         concat(kind, coalesce(term::VARCHAR, ''), '个月宣告缓刑') AS reason, NULL::VARCHAR AS prior_case, row_id,
         NULL::BIGINT AS prior_row
  FROM h_probation
  WHERE kind NOT IN ('拘役', '有期徒刑') OR (kind = '有期徒刑' AND term > 36)
  UNION ALL
  SELECT case_no, person, name, charge, kind, term, probation, offence_date, 'R2',
         concat(kind, coalesce(term::VARCHAR, ''), '个月，考验期', probation, '个月'), NULL, row_id, NULL
  FROM h_probation
  WHERE (kind = '拘役' AND (probation < greatest(term, 2) OR probation > 12))
     OR (kind = '有期徒刑' AND (probation < greatest(term, 12) OR probation > 60))
  UNION ALL
  SELECT * FROM r3
  UNION ALL
  SELECT case_no, person, name, charge, kind, term, probation, offence_date, 'R4', '首要分子宣告缓刑', NULL, row_id, NULL
  FROM h_probation
  WHERE coalesce(leader, false) AND offence_date >= DATE '2011-05-01'
), distinct_hits AS (
  SELECT coalesce(person, concat(coalesce(case_no, ''), ' ', coalesce(name, ''))) AS subject, case_no, person, name,
         charge, kind, term, probation, offence_date, rule, reason, prior_case,
         list_distinct(list(row_id)) AS rows, list_distinct(list(prior_row)) AS prior_rows
  FROM hit_rows
  GROUP BY ALL
)
SELECT subject, rule, name, case_no, person, charge, kind, term, probation, reason, prior_case, count(*) OVER w AS 次数,
       rows, prior_rows
FROM distinct_hits
WINDOW w AS (PARTITION BY subject, rule)
QUALIFY row_number() OVER (PARTITION BY subject, rule ORDER BY offence_date, case_no, reason) = 1
