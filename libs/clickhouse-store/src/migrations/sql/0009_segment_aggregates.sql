-- Per-run, per-segment count and mean outputs: the cold-start answer for entities a run never
-- scored, and the slice view of a run's report. segment_values are in segment_columns' order.
CREATE TABLE IF NOT EXISTS {database}.segment_aggregates
(
    model String,
    run_id String,
    segment_columns Array(String),
    segment_values Array(String),
    row_count UInt64,
    output_means Array(Float64)
)
ENGINE = MergeTree()
PARTITION BY run_id
ORDER BY (model, segment_values);
