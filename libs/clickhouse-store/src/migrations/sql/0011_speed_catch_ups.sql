-- One row per catch-up the speed layer finished after a serving pointer moved (publish or
-- rollback): a consumer that starts later re-scores only what came in since, not every entity.
CREATE TABLE IF NOT EXISTS {database}.speed_catch_ups
(
    model String,
    pointer_at UInt64,
    run_id String,
    model_version String,
    data_cutoff UInt64,
    entities UInt64,
    at UInt64
)
ENGINE = MergeTree()
ORDER BY (model, pointer_at, at);
