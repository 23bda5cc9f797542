-- accessory penalty by hand: each count against the statutory table's versions in force between the offence and
-- the judgment (R1 a mandatory accessory penalty not imposed); R2 death or life without lifelong deprivation;
-- R4 a deprivation term outside the statute. One clue per defendant and rule, the earliest by case, charge, reason.
WITH items AS (
  SELECT "文书编号" AS doc, "被告人序号" AS seq, "案号" AS case_no, "身份证号" AS person, "姓名" AS name,
         "罪名" AS charge, "刑种" AS kind, "刑期月数" AS term, "犯罪日期" AS offence_date, _row_id AS row_id,
         trim("罪名") AS charge_key,
         CASE WHEN "刑种" = '无期徒刑' THEN 10000 WHEN "刑种" LIKE '死刑%' THEN 20000 ELSE "刑期月数" END AS months,
         coalesce("罚金元", 0) > 0 OR coalesce("合并判处罚金元", 0) > 0 AS has_fine,
         coalesce("没收财产", false) OR coalesce("合并判处没收财产", false) AS has_conf,
         "剥夺政治权利月数" IS NOT NULL OR coalesce("剥夺政治权利终身", false) OR coalesce("合并判处剥夺政治权利", false) AS has_dep,
         coalesce("犯罪日期", DATE '1900-01-01') AS law_from, coalesce("判决日期", "犯罪日期") AS law_to
  FROM {{刑事判决罪名}}
  WHERE coalesce("判决日期", "犯罪日期") IS NOT NULL
), per_item AS (
  SELECT i.case_no, i.person, i.charge, i.kind, i.term, i.offence_date, i.months, i.has_fine, i.has_conf, i.has_dep,
         min(i.name) AS name, min(CASE WHEN l."罚金" = '必须' THEN 1 ELSE 0 END) AS fine_must,
         min(CASE WHEN l."没收财产" = '必须' THEN 1 ELSE 0 END) AS conf_must,
         min(CASE WHEN l."罚金" IN ('必须', '择一') OR l."没收财产" IN ('必须', '择一') THEN 1 ELSE 0 END) AS either_must,
         min(CASE WHEN l."剥夺政治权利" = '必须' THEN 1 ELSE 0 END) AS dep_must, max(l."条文") AS article,
         list_distinct(list(i.row_id)) AS rows, list_distinct(list(l._row_id)) AS law_rows
  FROM items i JOIN {{法定附加刑表}} l
    ON l."罪名" = i.charge_key AND l."生效日期" <= i.law_to AND coalesce(l."失效日期", DATE '9999-12-31') >= i.law_from
   AND ((i.months BETWEEN l."主刑下限月数" AND l."主刑上限月数") OR l."主刑下限月数" IS NULL OR l."罚金" = '未知')
  GROUP BY i.doc, i.seq, i.case_no, i.person, i.charge, i.kind, i.term, i.months, i.has_fine, i.has_conf, i.has_dep,
           i.offence_date
), hit_rows AS (
  SELECT case_no, person, name, charge, kind, term, offence_date, 'R1' AS rule,
         concat('依', article, '应并处',
                CASE WHEN fine_must = 1 AND NOT has_fine THEN '罚金' WHEN conf_must = 1 AND NOT has_conf THEN '没收财产'
                     WHEN either_must = 1 AND NOT has_fine AND NOT has_conf THEN '罚金或没收财产'
                     ELSE '剥夺政治权利' END, '而未判处') AS reason, rows, law_rows
  FROM per_item
  WHERE (fine_must = 1 AND NOT has_fine) OR (conf_must = 1 AND NOT has_conf)
     OR (either_must = 1 AND NOT has_fine AND NOT has_conf) OR (dep_must = 1 AND NOT has_dep AND months < 10000)
  UNION ALL
  SELECT "案号", "身份证号", "姓名", "罪名", "刑种", "刑期月数", NULL::DATE, 'R2', concat('判处', "刑种", '未剥夺政治权利终身'),
         [_row_id], NULL
  FROM {{刑事判决被告人}}
  WHERE ("刑种" = '无期徒刑' OR "刑种" LIKE '死刑%') AND NOT coalesce("剥夺政治权利终身", false)
  UNION ALL
  SELECT "案号", "身份证号", "姓名", "罪名", "刑种", "刑期月数", "犯罪日期", 'R4',
         CASE WHEN "刑种" = '管制'
              THEN concat('判处管制', "刑期月数", '个月，附加剥夺政治权利', "剥夺政治权利月数", '个月，期限应与管制相等')
              ELSE concat('剥夺政治权利', "剥夺政治权利月数", '个月，超出一至五年') END,
         [_row_id], NULL
  FROM {{刑事判决罪名}}
  WHERE "剥夺政治权利月数" IS NOT NULL AND NOT coalesce("刑种" = '无期徒刑' OR "刑种" LIKE '死刑%', false)
    AND CASE WHEN "刑种" = '管制' THEN "刑期月数" IS NOT NULL AND "剥夺政治权利月数" <> "刑期月数"
             ELSE "剥夺政治权利月数" < 12 OR "剥夺政治权利月数" > 60 END
), distinct_hits AS (
  SELECT coalesce(person, concat(coalesce(case_no, ''), ' ', coalesce(name, ''))) AS subject, case_no, person, name,
         charge, kind, term, offence_date, rule, reason, flatten(list(rows)) AS rows, flatten(list(law_rows)) AS law_rows
  FROM hit_rows
  GROUP BY ALL
)
SELECT subject, rule, name, case_no, person, charge, kind, term, reason, count(*) OVER w AS 次数, rows, law_rows
FROM distinct_hits
WINDOW w AS (PARTITION BY subject, rule)
QUALIFY row_number() OVER (PARTITION BY subject, rule ORDER BY case_no, charge, reason) = 1
