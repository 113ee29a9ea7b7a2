-- One row per state change of a batch run (running -> verifying -> published | failed);
-- a run's state is its latest row.
CREATE TABLE IF NOT EXISTS {database}.batch_runs
(
    run_id String,
    model String,
    model_version String,
    status String,
    started_at UInt64,
    finished_at UInt64,
    updated_at UInt64,
    row_count UInt64,
    data_cutoff UInt64,
    report String,
    error String
)
ENGINE = MergeTree()
ORDER BY (model, run_id, updated_at);
