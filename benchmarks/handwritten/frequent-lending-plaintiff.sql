-- M7 by hand: the plaintiff key normalised once into a table of suits (no evidence yet), the
-- total-suits screen before the window sort, row ids collected only for the frequent plaintiffs.
CREATE TEMP TABLE h_suits AS
SELECT upper(trim("原告证件号码")) AS pid, "案号" AS case_no, max("原告") AS plaintiff, max("代理人") AS agent,
       min("立案日期") AS filed, max("结案日期") AS closed, max("结案方式") AS way, max("是否缺席") AS absent,
       max("标的额") AS amount
FROM {{民事案件}}
WHERE "案由" = '民间借贷纠纷' AND "原告证件号码" IS NOT NULL AND "案号" IS NOT NULL
GROUP BY 1, 2;

CREATE TEMP TABLE h_frequent AS
WITH dated AS (
  SELECT pid, filed FROM h_suits
  WHERE filed IS NOT NULL
    AND pid IN (SELECT pid FROM h_suits WHERE filed IS NOT NULL GROUP BY pid HAVING count(*) >= 15)
), counted AS (
  SELECT pid, count(*) OVER (PARTITION BY pid ORDER BY filed
                             RANGE BETWEEN INTERVAL 24 MONTH PRECEDING AND CURRENT ROW) AS n
  FROM dated
)
SELECT pid, max(n) AS peak FROM counted GROUP BY pid HAVING max(n) >= 15;

WITH theirs AS (
  SELECT s.*, f.peak FROM h_suits s JOIN h_frequent f USING (pid)
), agents AS (
  SELECT pid, max(c) AS max_agent_suits
  FROM (SELECT pid, agent, count(*) AS c FROM theirs WHERE agent IS NOT NULL GROUP BY 1, 2)
  GROUP BY 1
), evidence AS (
  SELECT upper(trim("原告证件号码")) AS pid, list(_row_id ORDER BY _row_id) AS case_rows
  FROM {{民事案件}}
  WHERE "案由" = '民间借贷纠纷' AND "案号" IS NOT NULL
    AND upper(trim("原告证件号码")) IN (SELECT pid FROM h_frequent)
  GROUP BY 1
), per AS (
  SELECT pid, peak, max(plaintiff) AS plaintiff_name, count(*) AS suits,
         avg(CASE WHEN coalesce(absent, false) THEN 1.0 ELSE 0.0 END) AS absent_share,
         avg(CASE WHEN regexp_matches(way, '撤诉|撤回起诉') THEN 1.0 ELSE 0.0 END) AS withdrawn_share,
         sum(CASE WHEN contains(way, '调解') AND date_diff('day', filed, closed) BETWEEN 0 AND 30 THEN 1 ELSE 0 END)
           AS quick_mediations,
         avg(CASE WHEN amount > 0 AND amount % 10000 = 0 THEN 1.0 ELSE 0.0 END) AS round_share,
         min(filed) AS first_filed, max(filed) AS last_filed
  FROM theirs GROUP BY pid, peak
)
SELECT p.pid AS subject, 'R1' AS rule, p.*, a.max_agent_suits,
       (CASE WHEN absent_share >= 0.5 THEN 1 ELSE 0 END) + (CASE WHEN withdrawn_share >= 0.3 THEN 1 ELSE 0 END)
       + (CASE WHEN quick_mediations > 0 THEN 1 ELSE 0 END) + (CASE WHEN round_share >= 0.8 THEN 1 ELSE 0 END)
       + (CASE WHEN coalesce(a.max_agent_suits, 0) >= 5 THEN 1 ELSE 0 END) AS score,
       e.case_rows
FROM per p LEFT JOIN agents a USING (pid) LEFT JOIN evidence e USING (pid)
