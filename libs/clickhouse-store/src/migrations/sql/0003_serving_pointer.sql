-- One row per publish or rollback. A model's current run is its latest row, so each action is a
-- single insert; `at` is strictly increasing per model (the writer guarantees it).
CREATE TABLE IF NOT EXISTS {database}.serving_pointer
(
    model String,
    run_id String,
    model_version String,
    data_cutoff UInt64,
    action String,
    at UInt64,
    actor String
)
ENGINE = MergeTree()
ORDER BY (model, at);
