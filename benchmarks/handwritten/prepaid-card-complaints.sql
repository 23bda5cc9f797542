-- prepaid cards by hand: the same text rule (shujian_text, the model's Python function) on the tickets
-- the prefilter passes, asking only for the fields read (no explanation); per-merchant 90-day peaks; the
-- ticket list only for the merchants kept.
CREATE TEMP TABLE h_tickets AS
WITH matched AS (
  SELECT "编号" AS ticket_no, "时间" AS received,
         shujian_text(coalesce("主题", '') || '。' || coalesce("详情", ''), {{text:card_tickets:config:merchant,merchant_key,words}}) AS tx
  FROM {{12345工单}}
  WHERE regexp_matches(coalesce("主题", '') || '。' || coalesce("详情", ''), {{text:card_tickets:pattern}})
)
SELECT ticket_no, min(tx['merchant_key']) AS mkey, min(tx['merchant']) AS merchant, min(CAST(received AS DATE)) AS day,
       max(CASE WHEN regexp_matches(tx['words'], '跑路|闭店|关门|停业|倒闭|卷款|人去楼空|失联') THEN 1 ELSE 0 END) AS severe
FROM matched
WHERE tx['matched'] AND tx['merchant_key'] IS NOT NULL AND received IS NOT NULL AND ticket_no IS NOT NULL
GROUP BY ticket_no;

CREATE TEMP TABLE h_merchants AS
SELECT mkey, max(n) AS peak, sum(severe) AS severe_tickets, count(*) AS complaints, min(merchant) AS merchant,
       min(day) AS first_date, max(day) AS last_date, list(ticket_no) AS sample_tickets
FROM (SELECT *, count(*) OVER (PARTITION BY mkey ORDER BY day RANGE BETWEEN INTERVAL 90 DAY PRECEDING AND CURRENT ROW) AS n
      FROM h_tickets)
GROUP BY mkey
HAVING max(n) >= 3 OR sum(severe) > 0;

WITH reg AS (
  SELECT tx['name_key'] AS reg_key, count(DISTINCT uscc) AS registered_n,
         CASE WHEN min(uscc) = max(uscc) THEN min(uscc) END AS uscc,
         CASE WHEN min(uscc) = max(uscc) THEN min(reg_name) END AS reg_name,
         CASE WHEN min(uscc) = max(uscc) THEN min(trade) END AS trade,
         CASE WHEN min(uscc) = max(uscc) THEN min(status) END AS status
  FROM (SELECT "统一社会信用代码" AS uscc, "企业名称" AS reg_name, "行业" AS trade, "登记状态" AS status,
               shujian_text(coalesce("企业名称", ''), {{text:reg_keys:config}}) AS tx
        FROM {{市场主体登记}})
  GROUP BY 1
), merchants AS (
  SELECT m.*, r.registered_n, r.uscc, r.reg_name, r.trade, r.status, f.filings_n, e.escrow_n,
         (SELECT count(*) FROM {{预付卡备案}}) AS filings_total, (SELECT count(*) FROM {{资金存管}}) AS escrow_total,
         coalesce(r.uscc, concat('商户:', m.mkey)) AS subject_key, coalesce(r.reg_name, m.merchant) AS subject_name
  FROM h_merchants m
  LEFT JOIN reg r ON r.reg_key = m.mkey
  LEFT JOIN (SELECT "统一社会信用代码" AS uscc, count(*) AS filings_n FROM {{预付卡备案}} GROUP BY 1) f ON f.uscc = r.uscc
  LEFT JOIN (SELECT "统一社会信用代码" AS uscc, count(*) AS escrow_n FROM {{资金存管}} GROUP BY 1) e ON e.uscc = r.uscc
)
SELECT subject_key AS subject, 'R1' AS rule, * FROM merchants WHERE uscc IS NOT NULL AND filings_total > 0 AND filings_n IS NULL
UNION ALL
SELECT subject_key, 'R2', * FROM merchants WHERE uscc IS NOT NULL AND filings_n IS NOT NULL AND escrow_total > 0 AND escrow_n IS NULL
UNION ALL
SELECT subject_key, 'R3', * FROM merchants WHERE uscc IS NOT NULL AND regexp_matches(status, '注销|吊销|异常|撤销|清算')
UNION ALL
SELECT subject_key, 'R4', * FROM merchants WHERE uscc IS NULL OR coalesce(filings_total, 0) = 0
