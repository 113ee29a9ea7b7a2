import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelManifest } from '@platform/model-package';
import { DEAD_LETTER_HEADERS, DEAD_LETTER_REASONS } from './dead-letter';
import { FEATURE_EVENT_SCHEMA_V1, featureEventV1JsonSchema, featureEventV1Schema } from './feature-event-contract';
import { validateFeatureEvent } from './validate-feature-event';

// The contract page is what producers read: these tests fail when it and the code part ways.
const page = readFileSync(join(__dirname, '..', 'EVENT-CONTRACT.md'), 'utf8');

function jsonBlockAfter(heading: string): unknown {
  const section = page.slice(page.indexOf(`\n## ${heading}\n`));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  if (block === null) throw new Error(`EVENT-CONTRACT.md has no json block under "## ${heading}"`);
  return JSON.parse(block[1]!);
}

/** The names in backticks in the first column of the table under a heading. */
function tableKeys(heading: string): string[] {
  const section = page.slice(page.indexOf(`\n## ${heading}\n`) + 1);
  const table = section.slice(0, section.indexOf('\n## '));
  return [...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap(([, cell]) => [...cell!.matchAll(/`([^`]+)`/g)].map((name) => name[1]!));
}

describe('the feature event contract', () => {
  it('is published as the JSON Schema on the contract page', () => {
    expect(jsonBlockAfter('JSON Schema')).toEqual(featureEventV1JsonSchema);
    expect(featureEventV1JsonSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: FEATURE_EVENT_SCHEMA_V1,
      additionalProperties: false,
      required: ['schema', 'eventId', 'entityId', 'eventTime', 'model', 'features'],
    });
  });

  it("accepts the page's example as the page describes it", () => {
    const example = jsonBlockAfter('Example');
    const manifest = parseModelManifest(
      {
        manifestVersion: 1,
        name: 'churn',
        version: '1.0.0',
        format: 'layers-model',
        features: [
          { name: 'tenure_months', type: 'numeric' },
          { name: 'monthly_charges', type: 'numeric' },
          { name: 'total_charges', type: 'numeric' },
          { name: 'plan', type: 'categorical', categories: ['basic', 'premium'] },
          { name: 'contract_type', type: 'categorical', categories: ['one_year', 'two_year'] },
        ],
        outputs: [{ name: 'churn_probability', min: 0, max: 1 }],
      },
      'test',
    );
    const result = validateFeatureEvent(Buffer.from(JSON.stringify(example)), {
      now: Date.UTC(2025, 2, 14, 10),
      allowedClockSkewMs: 0,
      manifests: new Map([['churn', manifest]]),
    });
    expect(result).toEqual({
      ok: true,
      event: {
        model: 'churn',
        entityId: 'customer-000042',
        eventId: 'crm-7f3c2a-000001',
        eventTime: 1741944413589,
        numericFeatures: { tenure_months: 18, monthly_charges: 79.5 },
        categoricalFeatures: { plan: 'premium', contract_type: 'one_year' },
      },
    });
    expect(page).toContain('event time 1741944413589');
  });

  it('lists every rejection reason in check order, and every dead-letter header', () => {
    expect([...new Set(tableKeys('Rejections'))]).toEqual([...DEAD_LETTER_REASONS]);
    expect(tableKeys('Dead-letter messages (`dead-letter/v1`)')).toEqual(Object.values(DEAD_LETTER_HEADERS));
  });

  it('normalizes both forms of event time to the same epoch milliseconds', () => {
    const event = { schema: FEATURE_EVENT_SCHEMA_V1, eventId: 'e', entityId: 'c', model: 'churn', features: {} };
    const asText = featureEventV1Schema.parse({ ...event, eventTime: '2025-03-14T10:26:53.589+01:00' });
    const asNumber = featureEventV1Schema.parse({ ...event, eventTime: 1741944413589 });
    expect(asText).toEqual(asNumber);
  });
});
