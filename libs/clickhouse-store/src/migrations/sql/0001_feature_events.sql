-- The master dataset: every valid feature event, immutable. A redelivered event (same model,
-- entity, time and id) collapses to one row on merge; readers must not depend on that timing.
CREATE TABLE IF NOT EXISTS {database}.feature_events
(
    model String,
    entity_id String,
    event_id String,
    event_time UInt64,
    numeric_names Array(String),
    numeric_values Array(Float64),
    categorical_names Array(String),
    categorical_values Array(String),
    source_topic String,
    source_partition Int32,
    source_offset Int64,
    ingested_at UInt64
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(toDateTime(intDiv(event_time, 1000)))
ORDER BY (model, entity_id, event_time, event_id);
