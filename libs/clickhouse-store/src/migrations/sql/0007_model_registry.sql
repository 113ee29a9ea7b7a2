-- One row per state change of a model version (candidate -> active -> retired); a version's state
-- is its latest row. The content hash pins the version's bytes: versions are immutable.
CREATE TABLE IF NOT EXISTS {database}.model_registry
(
    model String,
    version String,
    state String,
    content_hash String,
    at UInt64,
    actor String
)
ENGINE = MergeTree()
ORDER BY (model, at, version);
