-- Each batch prediction carries its entity's segment values (in the run's segment_columns order,
-- as segment_aggregates stores them), so ranked pages can be filtered by segment. Rows of runs
-- written before this migration have none. 18.16 has no ADD COLUMN IF NOT EXISTS: the runner
-- skips an ADD COLUMN whose column exists (migrations.ts).
ALTER TABLE {database}.batch_predictions ADD COLUMN segment_values Array(String);
