-- Incremental predictions. Keyed so a redelivered event scored with the same model version is
-- one row after merges; readers de-duplicate at query time too (merges are not timely).
CREATE TABLE IF NOT EXISTS {database}.speed_predictions
(
    model String,
    model_version String,
    entity_id String,
    event_id String,
    event_time UInt64,
    outputs Array(Float32),
    scored_at UInt64,
    source_topic String,
    source_partition Int32,
    source_offset Int64
)
ENGINE = ReplacingMergeTree(scored_at)
PARTITION BY toYYYYMM(toDateTime(intDiv(event_time, 1000)))
ORDER BY (model, entity_id, event_id, model_version);
