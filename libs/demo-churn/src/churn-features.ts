/**
 * The demo churn model's features: names, types and categories, in the model's input order. The
 * generator, the trainer (which turns this into the manifest), a demo data writer and a producer
 * all read this one list. Categorical values travel as codes: the index into `categories`.
 */

export interface NumericFeatureSpec<Name extends string = string> {
  readonly name: Name;
  readonly type: 'numeric';
  readonly description: string;
}

export interface CategoricalFeatureSpec<Name extends string = string, Categories extends readonly string[] = readonly string[]> {
  readonly name: Name;
  readonly type: 'categorical';
  readonly categories: Categories;
  readonly description: string;
}

export type FeatureSpec = NumericFeatureSpec | CategoricalFeatureSpec;

function numeric<const Name extends string>(name: Name, description: string): NumericFeatureSpec<Name> {
  return { name, type: 'numeric', description };
}

function categorical<const Name extends string, const Categories extends readonly string[]>(
  name: Name,
  categories: Categories,
  description: string,
): CategoricalFeatureSpec<Name, Categories> {
  return { name, type: 'categorical', categories, description };
}

export const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const;
export const CONTRACT_TYPES = ['month_to_month', 'one_year', 'two_year'] as const;
export const PLANS = ['basic', 'standard', 'premium', 'unlimited'] as const;
export const PAYMENT_METHODS = ['credit_card', 'bank_transfer', 'electronic_check', 'mailed_check'] as const;
export const ACQUISITION_CHANNELS = ['online', 'retail', 'partner', 'telesales', 'referral'] as const;
export const DEVICE_OS = ['android', 'ios', 'other'] as const;
export const YES_NO = ['no', 'yes'] as const;

export const CHURN_FEATURES = [
  categorical('region', REGIONS, 'sales region; the segment for cold-start aggregates'),
  categorical('contract_type', CONTRACT_TYPES, 'current contract'),
  numeric('tenure_months', 'whole months since sign-up'),
  categorical('plan', PLANS, 'tariff plan'),
  categorical('has_family_plan', YES_NO, 'shares the plan with family members'),
  numeric('monthly_charges', 'current monthly bill, currency units'),
  numeric('total_charges', 'billed over the whole tenure; missing where the billing history is incomplete'),
  numeric('price_increase_pct', 'last price increase, percent; 0 if none'),
  numeric('discount_pct', 'current loyalty discount, percent'),
  categorical('payment_method', PAYMENT_METHODS, 'how the bill is paid'),
  numeric('late_payments_12m', 'late payments in the last 12 months'),
  categorical('acquisition_channel', ACQUISITION_CHANNELS, 'where the customer was acquired'),
  numeric('support_calls_90d', 'calls to support in the last 90 days'),
  numeric('nps_score', 'last survey answer 0-10; missing if never answered'),
  numeric('days_since_last_login', 'days since the customer last used the app'),
  numeric('usage_change_pct', 'data usage of the last month against the three before, percent'),
  numeric('data_usage_gb', 'data used last month, GB'),
  numeric('allowance_used_pct', "last month's data use as a percent of the plan's allowance"),
  numeric('avg_session_minutes', 'average app session length, minutes'),
  numeric('num_products', 'products held (line, broadband, TV, ...)'),
  numeric('referrals_count', 'customers this customer referred'),
  numeric('outage_minutes_30d', 'network outage minutes at the home address, last 30 days'),
  numeric('dropped_call_rate', 'share of calls dropped, last 30 days'),
  numeric('num_devices', 'devices on the account'),
  categorical('device_os', DEVICE_OS, 'operating system of the main device'),
  numeric('age', 'age in years'),
  numeric('credit_score', 'credit bureau score 300-850'),
] as const satisfies readonly FeatureSpec[];

export type ChurnFeature = (typeof CHURN_FEATURES)[number];
export type ChurnFeatureName = ChurnFeature['name'];

/** The segment column: cold-start predictions can fall back to per-region aggregates. */
export const CHURN_SEGMENT_FEATURE = 'region' satisfies ChurnFeatureName;

/** One typed column per feature: Float32Array for numeric (NaN = missing), Int32Array codes for categorical. */
export type ChurnFeatureColumns = {
  readonly [Feature in ChurnFeature as Feature['name']]: Feature extends { type: 'numeric' } ? Float32Array : Int32Array;
};

/** Zero-filled columns for `rows` rows. */
export function allocateChurnColumns(rows: number): ChurnFeatureColumns {
  const columns: Record<string, Float32Array | Int32Array> = {};
  for (const feature of CHURN_FEATURES) {
    columns[feature.name] = feature.type === 'numeric' ? new Float32Array(rows) : new Int32Array(rows);
  }
  return columns as ChurnFeatureColumns;
}

/** The code of a category: its index in the feature's `categories`. */
export function categoryCode<const Categories extends readonly string[]>(categories: Categories, category: Categories[number]): number {
  return categories.indexOf(category);
}

/** Per-category values as an array indexed by category code, from a record that must name every category. */
export function byCategory<const Categories extends readonly string[]>(
  categories: Categories,
  values: Readonly<Record<Categories[number], number>>,
): readonly number[] {
  return categories.map((category: Categories[number]) => values[category]);
}
