import { parseSpeedPredictionMessage, SPEED_PREDICTION_SCHEMA, type SpeedPredictionMessage } from './speed-prediction-message';

const message: SpeedPredictionMessage = {
  schema: SPEED_PREDICTION_SCHEMA,
  model: 'churn',
  modelVersion: '1.0.0',
  entityId: 'c-1',
  eventId: 'e-1',
  eventTime: 1_700_000_000_000,
  outputs: { churn_probability: 0.25, tenure_risk: 0.5 },
  scoredAt: 1_700_000_000_100,
};

describe('parseSpeedPredictionMessage', () => {
  it('reads back what a publisher writes, outputs in the order written', () => {
    const parsed = parseSpeedPredictionMessage(JSON.stringify(message), 'churn');
    expect(parsed).toEqual({ message });
    expect(Object.keys('message' in parsed ? parsed.message.outputs : {})).toEqual(['churn_probability', 'tenure_risk']);
  });

  it.each([
    ['{"schema":', 'not JSON'],
    ['[1]', 'not a JSON object'],
    [JSON.stringify({ ...message, schema: 'speed-prediction/v2' }), 'schema is "speed-prediction/v2"'],
    [JSON.stringify({ ...message, model: 'upsell' }), "the topic is model churn's"],
    [JSON.stringify({ ...message, eventId: '' }), 'must be non-empty strings'],
    [JSON.stringify({ ...message, eventTime: 1.5 }), 'epoch ms integers'],
    [JSON.stringify({ ...message, outputs: [0.5] }), 'outputs must be an object'],
    [JSON.stringify({ ...message, outputs: { churn_probability: null } }), 'at least one finite score'],
    [JSON.stringify({ ...message, outputs: {} }), 'at least one finite score'],
  ])('refuses %s: %s', (text, problem) => {
    const parsed = parseSpeedPredictionMessage(text, 'churn');
    expect('problem' in parsed ? parsed.problem : 'parsed').toContain(problem);
  });
});
