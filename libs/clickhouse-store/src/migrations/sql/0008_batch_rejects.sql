-- Source rows a batch run could not score, with the reason; one partition per run, dropped with it.
CREATE TABLE IF NOT EXISTS {database}.batch_rejects
(
    model String,
    run_id String,
    entity_id String,
    reason String,
    feature String
)
ENGINE = MergeTree()
PARTITION BY run_id
ORDER BY (model, entity_id);
