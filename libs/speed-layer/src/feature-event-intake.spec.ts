import { type OutgoingMessage } from '@platform/event-stream';
import { parseModelManifest } from '@platform/model-package';
import { FeatureEventIntake } from './feature-event-intake';

const NOW = 1_700_000_000_000;
const manifest = parseModelManifest(
  { manifestVersion: 1, name: 'churn', version: '1.0.0', format: 'layers-model', features: [{ name: 'x', type: 'numeric' }], outputs: [{ name: 'p', min: 0, max: 1 }] },
  'test',
);
const event = (eventId: string, extra: object = {}) => ({ schema: 'feature-event/v1', eventId, entityId: `e-${eventId}`, eventTime: NOW, model: 'churn', features: { x: 1 }, ...extra });

describe('FeatureEventIntake', () => {
  it('sends the valid events keyed by entity id and lists each refused one with its index and reason', async () => {
    const sent: OutgoingMessage[] = [];
    const intake = new FeatureEventIntake({
      send: async (messages) => void sent.push(...messages),
      resolvesWhenWritten: true,
      manifests: () => new Map([['churn', manifest]]),
      allowedClockSkewMs: 1_000,
      clock: () => NOW,
    });
    const outcome = await intake.submit([event('a'), 'not an object', event('b', { features: { y: 2 } }), event('c', { eventTime: NOW + 60_000 }), event('d')]);
    expect(outcome).toEqual({
      accepted: 2,
      rejected: [
        { index: 1, reason: 'schema', detail: expect.any(String) as string },
        { index: 2, reason: 'unknown-feature', detail: 'model churn has no feature "y"' },
        { index: 3, reason: 'event-time-in-future', detail: expect.stringContaining('ahead of the consumer') as string },
      ],
      written: true,
    });
    expect(sent.map((message) => message.key)).toEqual(['e-a', 'e-d']);
    expect(JSON.parse(sent[0]!.value.toString())).toEqual(event('a'));
  });

  it('sends nothing when every event is refused', async () => {
    let sends = 0;
    const intake = new FeatureEventIntake({ send: async () => void sends++, resolvesWhenWritten: false, manifests: () => new Map(), allowedClockSkewMs: 0, clock: () => NOW });
    expect(await intake.submit([event('a')])).toMatchObject({ accepted: 0, written: false, rejected: [{ index: 0, reason: 'unknown-model' }] });
    expect(sends).toBe(0);
  });
});
