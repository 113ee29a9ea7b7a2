-- One row per admin action (trigger, publish, rollback, ...), accepted or not. Append-only;
-- partitioned by month of `at` so retention drops whole partitions (18.16 has no TTL).
CREATE TABLE IF NOT EXISTS {database}.audit_log
(
    at UInt64,
    actor String,
    action String,
    model String,
    target String,
    outcome String,
    detail String
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(toDateTime(intDiv(at, 1000)))
ORDER BY (at, actor);
