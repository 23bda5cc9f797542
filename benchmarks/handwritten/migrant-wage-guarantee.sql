-- migrant wages by hand: one row per project, then the three checks against accounts, deposits and guarantees.
CREATE TEMP TABLE h_projects AS
SELECT "项目编号" AS project, max("项目名称") AS project_name, max("区域") AS district, max("建设单位") AS owner,
       max("建设单位统一社会信用代码") AS owner_uscc, max("施工总承包单位") AS builder,
       max("施工总承包单位统一社会信用代码") AS builder_uscc, max("合同金额") AS contract,
       min("发证日期") AS permit_date, max("计划竣工日期") AS finish_date,
       greatest(min("发证日期"), DATE '2020-05-01') + 30 AS account_due,
       CASE WHEN max("合同金额") > 0 THEN round(0.01 * max("合同金额"), 2) END AS expected,
       list(_row_id) AS rows
FROM {{施工许可}} WHERE "项目编号" IS NOT NULL
GROUP BY 1
HAVING coalesce(max("计划竣工日期") >= DATE '2020-05-01', true);

SELECT project AS subject, 'R1' AS rule, p.* FROM h_projects p
WHERE account_due < current_date
  AND NOT EXISTS (SELECT 1 FROM {{农民工工资专用账户}} a WHERE a."项目编号" = p.project
                  AND (a."施工总承包单位统一社会信用代码" = p.builder_uscc OR a."施工总承包单位统一社会信用代码" IS NULL OR p.builder_uscc IS NULL)
                  AND coalesce(a."开户日期" <= p.account_due, true))
UNION ALL
SELECT project, 'R2', p.* FROM h_projects p
LEFT JOIN (SELECT d.project, sum(CASE WHEN letter_end IS NULL OR finish_date IS NULL OR letter_end >= finish_date THEN deposit ELSE 0 END) AS deposited
           FROM (SELECT DISTINCT "项目编号" AS project, "金额" AS deposit, "保函到期日" AS letter_end FROM {{工资保证金}}) d
           JOIN h_projects q ON q.project = d.project GROUP BY d.project) s USING (project)
WHERE coalesce(s.deposited, 0) <= 0 OR s.deposited < p.expected
UNION ALL
SELECT project, 'R3', p.* FROM h_projects p
WHERE NOT EXISTS (SELECT 1 FROM {{工程款支付担保}} g WHERE g."项目编号" = p.project
                  AND (g."建设单位统一社会信用代码" = p.owner_uscc OR g."建设单位统一社会信用代码" IS NULL OR p.owner_uscc IS NULL))
