-- One partition per run: a run is written whole, published by a pointer row, and dropped by
-- partition when it falls out of the kept window.
CREATE TABLE IF NOT EXISTS {database}.batch_predictions
(
    model String,
    run_id String,
    entity_id String,
    outputs Array(Float32),
    scored_at UInt64
)
ENGINE = MergeTree()
PARTITION BY run_id
ORDER BY (model, entity_id);
