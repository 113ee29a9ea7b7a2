-- The merge rule (libs/domain/src/merge-rule.ts) in SQL, for dashboard tools. Per model and
-- entity: the latest speed prediction (ties by the larger event id) that is newer than the
-- current run's data cut-off and of its model version, else the current run's batch prediction.
-- Batch rows rank with event_time 0, below every eligible speed row (event_time > cut-off >= 0).
CREATE VIEW IF NOT EXISTS {database}.predictions_latest AS
SELECT model, entity_id, source, run_id, model_version, data_cutoff, event_id, event_time, outputs, scored_at
FROM
(
    SELECT model, entity_id, 'batch' AS source, run_id, model_version, data_cutoff,
        '' AS event_id, toUInt64(0) AS event_time, outputs, scored_at
    FROM {database}.batch_predictions
    ALL INNER JOIN
    (
        SELECT model, argMax(run_id, at) AS run_id, argMax(model_version, at) AS model_version,
            argMax(data_cutoff, at) AS data_cutoff
        FROM {database}.serving_pointer
        GROUP BY model
    ) AS current_run USING (model, run_id)
    UNION ALL
    SELECT model, entity_id, 'speed' AS source, run_id, model_version, data_cutoff,
        event_id, event_time, outputs, scored_at
    FROM {database}.speed_predictions
    ALL INNER JOIN
    (
        SELECT model, argMax(run_id, at) AS run_id, argMax(model_version, at) AS model_version,
            argMax(data_cutoff, at) AS data_cutoff
        FROM {database}.serving_pointer
        GROUP BY model
    ) AS current_run USING (model, model_version)
    WHERE event_time > data_cutoff
)
ORDER BY model, entity_id, event_time DESC, event_id DESC
LIMIT 1 BY model, entity_id;
