-- gang and repeat offenders by hand: the actors of the four causes' cases once (h_events); R1 a person with ≥ 3 cases
-- or ≥ 2 counties within some 60 months (the window self-join only for persons whose totals allow it); R2 a group of
-- co-offenders: only persons in two or more cases can link cases, so the components are found on those persons alone
-- (DuckDB's recursive CTE with USING KEY, min-label propagation) and a group with ≥ 2 of them gets its members back.
CREATE TEMP TABLE h_events AS
SELECT p."身份证号" AS person, p."案件编号" AS case_id, p."姓名" AS name, c."发案日期" AS day, c."区县" AS county,
       p._row_id AS person_row, c._row_id AS case_row
FROM {{公安涉案人员}} p JOIN {{公安案件}} c ON c."案件编号" = p."案件编号"
WHERE c."案由" IN ('故意伤害', '寻衅滋事', '聚众斗殴', '非法拘禁') AND p."身份证号" IS NOT NULL
  AND NOT coalesce(regexp_matches(p."人员角色", '被害|受害|证人|报案|举报|见证'), false);

CREATE TEMP TABLE h_repeaters AS
SELECT DISTINCT person, case_id FROM h_events
WHERE person IN (SELECT person FROM h_events GROUP BY person HAVING min(case_id) <> max(case_id));

CREATE TEMP TABLE h_gangs AS
WITH RECURSIVE links AS (
  SELECT DISTINCT a.person AS a, b.person AS b FROM h_repeaters a JOIN h_repeaters b ON b.case_id = a.case_id AND b.person <> a.person
), cc(person, gang) USING KEY (person) AS (
  SELECT DISTINCT person, person FROM h_repeaters
  UNION
  SELECT l.b, min(c.gang) FROM cc c JOIN links l ON l.a = c.person LEFT JOIN recurring.cc o ON o.person = l.b
  GROUP BY l.b HAVING min(c.gang) < min(o.gang)
)
SELECT person, gang FROM cc WHERE gang IN (SELECT gang FROM cc GROUP BY gang HAVING count(*) >= 2);

WITH candidates AS (
  SELECT * FROM h_events
  WHERE person IN (SELECT person FROM h_events GROUP BY person HAVING count(*) >= 3 OR min(county) <> max(county))
), windows AS (
  SELECT l.person, count(DISTINCT r.case_id) AS window_events, count(DISTINCT r.county) AS window_counties
  FROM candidates l JOIN candidates r ON r.person = l.person AND r.day BETWEEN l.day - INTERVAL 60 MONTH AND l.day
  GROUP BY l.person, l.case_id
  HAVING count(DISTINCT r.case_id) >= 3 OR count(DISTINCT r.county) >= 2
), r1 AS (
  SELECT k.person AS subject, 'R1' AS rule, max(e.name) AS label,
         concat('5 年内涉四类案件', k.events_n, '起，涉及', k.counties_n, '个区县') AS reason, k.events_n, k.counties_n,
         1 AS members_n, list_sort(list_distinct(list(e.case_id))) AS case_list,
         list_distinct(list(e.person_row)) AS person_rows, list_distinct(list(e.case_row)) AS case_rows
  FROM (SELECT person, max(window_events) AS events_n, max(window_counties) AS counties_n FROM windows GROUP BY person) k
  JOIN h_events e ON e.person = k.person
  GROUP BY k.person, k.events_n, k.counties_n
), members AS (
  -- every actor of the group's cases (each case of a group has one of its repeaters), with all their events
  SELECT DISTINCT g.gang, e.person
  FROM h_gangs g JOIN h_repeaters r ON r.person = g.person JOIN h_events e ON e.case_id = r.case_id
), membership AS (
  SELECT m.gang, e.* FROM members m JOIN h_events e ON e.person = m.person
), people AS (
  SELECT gang, count(*) AS members_n, count(*) FILTER (WHERE n >= 2) AS repeaters, max(n) AS hub_events,
         min(person) AS first_member
  FROM (SELECT gang, person, count(DISTINCT case_id) AS n FROM membership GROUP BY gang, person)
  GROUP BY gang
), cases AS (
  SELECT gang, count(DISTINCT case_id) AS events_n, min(day) AS first_day, max(day) AS last_day,
         count(DISTINCT county) AS counties_n, list_sort(list_distinct(list(case_id))) AS case_list,
         list_distinct(list(person_row)) AS person_rows, list_distinct(list(case_row)) AS case_rows
  FROM membership GROUP BY gang
), r2 AS (
  SELECT concat('团伙-', p.first_member) AS subject, 'R2' AS rule, concat('团伙-', p.first_member) AS label,
         concat(p.members_n, '人共同涉案', c.events_n, '起（', c.first_day, '至', c.last_day, '）') AS reason,
         c.events_n, c.counties_n, p.members_n, c.case_list, c.person_rows, c.case_rows
  FROM people p JOIN cases c ON c.gang = p.gang
  WHERE p.members_n >= 3 AND c.events_n >= 3 AND p.repeaters >= 2
    AND c.last_day <= c.first_day + INTERVAL 24 MONTH AND p.hub_events >= 0.6 * c.events_n
)
SELECT * FROM r1 UNION ALL SELECT * FROM r2
