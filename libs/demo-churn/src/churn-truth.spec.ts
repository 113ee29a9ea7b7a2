import { CATEGORY_MISSING } from '@platform/model-package';
import {
  allocateChurnColumns,
  CHURN_FEATURES,
  type ChurnFeatureColumns,
  type ChurnFeatureName,
  CONTRACT_TYPES,
  PLANS,
} from './churn-features';
import { CHURN_MISSING_RATES, generateChurnChunk } from './churn-generator';
import { churnLogit, churnProbability } from './churn-truth';

/** One customer: unremarkable values unless overridden. */
function customer(overrides: Partial<Record<ChurnFeatureName, number>> = {}): ChurnFeatureColumns {
  const columns = allocateChurnColumns(1);
  const typical: Partial<Record<ChurnFeatureName, number>> = {
    contract_type: CONTRACT_TYPES.indexOf('one_year'),
    plan: PLANS.indexOf('standard'),
    tenure_months: 24,
    monthly_charges: 45,
    nps_score: 8,
    allowance_used_pct: 100,
    num_products: 1,
    age: 45,
  };
  for (const [name, value] of Object.entries({ ...typical, ...overrides })) columns[name as ChurnFeatureName][0] = value;
  return columns;
}

const p = (overrides: Partial<Record<ChurnFeatureName, number>>): number => churnProbability(customer(overrides), 0);

describe('true churn probability', () => {
  it('is a probability strictly inside (0, 1) for every generated customer', () => {
    const { features, truth, rowCount } = generateChurnChunk(3, 0, 20_000);
    const outside = Array.from({ length: rowCount }, (_, row) => churnProbability(features, row)).filter((q) => !(q > 0 && q < 1));
    expect(outside).toEqual([]);
    expect(truth.every((q, row) => q === Math.fround(churnProbability(features, row)))).toBe(true);
  });

  it('stays finite at the extremes: everything that can be missing missing, everything maximal', () => {
    const allMissing = customer();
    const canBeMissing = new Set<string>([...Object.keys(CHURN_MISSING_RATES), 'allowance_used_pct']);
    for (const feature of CHURN_FEATURES) {
      if (canBeMissing.has(feature.name)) allMissing[feature.name][0] = feature.type === 'numeric' ? Number.NaN : CATEGORY_MISSING;
    }
    const extreme = customer({ support_calls_90d: 1e6, outage_minutes_30d: 1e9, price_increase_pct: 1e3, days_since_last_login: 1e9, late_payments_12m: 1e3 });
    for (const columns of [allMissing, extreme]) {
      expect(Number.isFinite(churnLogit(columns, 0))).toBe(true);
      const probability = churnProbability(columns, 0);
      expect(probability >= 0 && probability <= 1).toBe(true);
    }
  });

  it('depends on tenure only without a contract', () => {
    const monthToMonth = CONTRACT_TYPES.indexOf('month_to_month');
    const twoYear = CONTRACT_TYPES.indexOf('two_year');
    expect(p({ contract_type: monthToMonth, tenure_months: 1 })).toBeGreaterThan(2 * p({ contract_type: monthToMonth, tenure_months: 48 }));
    // Only through the support-calls term, which is near zero for a customer who never calls.
    expect(p({ contract_type: twoYear, tenure_months: 1 })).toBeCloseTo(p({ contract_type: twoYear, tenure_months: 48 }), 4);
  });

  it('turns the same allowance use into risk in opposite directions on basic and premium plans', () => {
    const basic = PLANS.indexOf('basic');
    const premium = PLANS.indexOf('premium');
    expect(p({ plan: basic, allowance_used_pct: 400 })).toBeGreaterThan(p({ plan: basic, allowance_used_pct: 20 }));
    expect(p({ plan: premium, allowance_used_pct: 20 })).toBeGreaterThan(p({ plan: premium, allowance_used_pct: 400 }));
  });

  it('counts many support calls against established customers only', () => {
    const lift = (tenure: number): number => p({ tenure_months: tenure, support_calls_90d: 6 }) - p({ tenure_months: tenure, support_calls_90d: 0 });
    expect(lift(48)).toBeGreaterThan(0.15);
    expect(lift(0)).toBe(0);
  });
});
