import { CHURN_FEATURES } from './churn-features';
import { churnFeatureEvents } from './churn-feature-events';
import { churnEntityId } from './churn-generator';

describe('churnFeatureEvents', () => {
  it('gives contract-shaped events for the demo customers, every feature present (missing as null)', () => {
    const events = churnFeatureEvents(42, 10, 200, 1_000);
    expect(events).toHaveLength(200);
    expect(events[0]).toMatchObject({ schema: 'feature-event/v1', entityId: churnEntityId(10), eventTime: 1_000, model: 'churn', eventId: '42-10-1000' });
    for (const event of events) expect(Object.keys(event.features).sort()).toEqual(CHURN_FEATURES.map((f) => f.name).sort());
    const values = events.flatMap((event) => Object.values(event.features));
    expect(values).toContain(null);
    expect(values.some((value) => typeof value === 'string')).toBe(true);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(200);
  });
});
