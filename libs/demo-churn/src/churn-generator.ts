import { InvalidInputError } from '@platform/domain';
import { CATEGORY_MISSING } from '@platform/model-package';
import {
  ACQUISITION_CHANNELS,
  allocateChurnColumns,
  byCategory,
  type ChurnFeatureColumns,
  categoryCode,
  CONTRACT_TYPES,
  DEVICE_OS,
  PAYMENT_METHODS,
  PLANS,
  REGIONS,
} from './churn-features';
import { churnProbability } from './churn-truth';
import { assertSeed, deriveSeed, SeededRandom } from '@platform/domain';

/**
 * Synthetic customers for the demo churn model. Every entity draws from its own seeded stream
 * (see deriveSeed), so entity i is the same whichever chunk it lands in: 10M entities can stream
 * in bounded chunks, and a training set and a holdout are just two index ranges.
 */

export interface ChurnChunk {
  /** Index of the chunk's first entity in the whole data set. */
  readonly startIndex: number;
  readonly rowCount: number;
  readonly entityIds: readonly string[];
  readonly features: ChurnFeatureColumns;
  /** The true churn probability each label was drawn from. */
  readonly truth: Float32Array;
  /** 1 = churned. */
  readonly labels: Uint8Array;
}

export interface ChurnStreamOptions {
  readonly seed: number;
  readonly rows: number;
  readonly startIndex?: number;
  readonly chunkRows?: number;
}

export const DEFAULT_CHUNK_ROWS = 65_536;
const MAX_ENTITY_INDEX = 0xffff_ffff;

export function churnEntityId(index: number): string {
  return `cust-${String(index).padStart(10, '0')}`;
}

// Category frequencies are skewed on purpose, as real ones are: rare categories are where a model
// has little data and where cold-start aggregates matter.
const REGION_WEIGHTS = byCategory(REGIONS, { north: 0.34, south: 0.26, east: 0.18, west: 0.14, central: 0.08 });
const CONTRACT_WEIGHTS = byCategory(CONTRACT_TYPES, { month_to_month: 0.55, one_year: 0.27, two_year: 0.18 });
const PLAN_WEIGHTS = byCategory(PLANS, { basic: 0.4, standard: 0.32, premium: 0.18, unlimited: 0.1 });
const PAYMENT_WEIGHTS = byCategory(PAYMENT_METHODS, { credit_card: 0.38, bank_transfer: 0.27, electronic_check: 0.25, mailed_check: 0.1 });
const CHANNEL_WEIGHTS = byCategory(ACQUISITION_CHANNELS, { online: 0.45, retail: 0.25, partner: 0.15, telesales: 0.1, referral: 0.05 });
const DEVICE_OS_WEIGHTS = byCategory(DEVICE_OS, { android: 0.55, ios: 0.4, other: 0.05 });
/** Central is rural: more outages. */
const OUTAGE_CHANCE_BY_REGION = byCategory(REGIONS, { north: 0.15, south: 0.2, east: 0.15, west: 0.2, central: 0.4 });
const PLAN_BASE_PRICE = byCategory(PLANS, { basic: 25, standard: 45, premium: 75, unlimited: 95 });
const PLAN_ALLOWANCE_GB = byCategory(PLANS, { basic: 3, standard: 10, premium: 30, unlimited: 60 });
const FAMILY_PLAN_SURCHARGE = 15;

/** Share of values that are missing, per feature that can be missing; allowance_used_pct goes with data_usage_gb. */
export const CHURN_MISSING_RATES = {
  total_charges: 0.015,
  payment_method: 0.02,
  acquisition_channel: 0.06,
  device_os: 0.03,
  nps_score: 0.4,
  days_since_last_login: 0.02,
  usage_change_pct: 0.03,
  data_usage_gb: 0.03,
  avg_session_minutes: 0.05,
  dropped_call_rate: 0.02,
  age: 0.05,
  credit_score: 0.1,
} as const;

const MONTH_TO_MONTH = categoryCode(CONTRACT_TYPES, 'month_to_month');
const ONE_YEAR = categoryCode(CONTRACT_TYPES, 'one_year');
const ELECTRONIC_CHECK = categoryCode(PAYMENT_METHODS, 'electronic_check');

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
const roundTo = (value: number, decimals: number): number => Math.round(value * 10 ** decimals) / 10 ** decimals;

type MaybeMissing = keyof typeof CHURN_MISSING_RATES;

/** One draw per call, missing or not, so the rest of the entity's stream never shifts. */
const isMissing = (random: SeededRandom, feature: MaybeMissing): boolean => random.chance(CHURN_MISSING_RATES[feature]);
const numericOrMissing = (random: SeededRandom, feature: MaybeMissing, value: number): number =>
  isMissing(random, feature) ? NaN : value;
const codeOrMissing = (random: SeededRandom, feature: MaybeMissing, code: number): number =>
  isMissing(random, feature) ? CATEGORY_MISSING : code;

/** Contract, plan, billing and payment. */
function drawAccount(random: SeededRandom, c: ChurnFeatureColumns, row: number): void {
  const contract = random.pick(CONTRACT_WEIGHTS);
  const plan = random.pick(PLAN_WEIGHTS);
  const family = random.chance(0.3);
  // Month-to-month customers are mostly recent; contract customers stay for years.
  const tenure =
    contract === MONTH_TO_MONTH ? Math.min(72, Math.floor(random.exponential(16))) : Math.floor(random.uniform(contract === ONE_YEAR ? 1 : 3, 73));
  const monthly = roundTo(PLAN_BASE_PRICE[plan]! * random.logNormal(0, 0.15) + (family ? FAMILY_PLAN_SURCHARGE : 0), 2);
  const discount = random.chance(0.3) ? 5 * (1 + Math.floor(random.uniform(0, 5))) : 0;
  const payment = random.pick(PAYMENT_WEIGHTS);
  c.contract_type[row] = contract;
  c.tenure_months[row] = tenure;
  c.plan[row] = plan;
  c.has_family_plan[row] = family ? 1 : 0;
  c.monthly_charges[row] = monthly;
  c.total_charges[row] = numericOrMissing(random, 'total_charges', roundTo(tenure * monthly * (1 - discount / 100) * random.normal(1, 0.03), 2));
  c.price_increase_pct[row] = random.chance(0.25) ? roundTo(random.uniform(3, 20), 1) : 0;
  c.discount_pct[row] = discount;
  c.payment_method[row] = codeOrMissing(random, 'payment_method', payment);
  c.late_payments_12m[row] = random.poisson(payment === ELECTRONIC_CHECK ? 0.8 : 0.3);
  c.acquisition_channel[row] = codeOrMissing(random, 'acquisition_channel', random.pick(CHANNEL_WEIGHTS));
}

/** Support, satisfaction and usage; a hidden dissatisfaction drives several at once, so they correlate as in life. */
function drawEngagement(random: SeededRandom, c: ChurnFeatureColumns, row: number): void {
  const dissatisfaction = random.normal();
  c.support_calls_90d[row] = random.poisson(0.9 * Math.exp(0.5 * dissatisfaction));
  c.nps_score[row] = numericOrMissing(random, 'nps_score', clamp(Math.round(random.normal(7.2 - 1.3 * dissatisfaction, 1.5)), 0, 10));
  const idleDays = Math.min(180, roundTo(random.exponential(5 * Math.exp(0.6 * dissatisfaction)), 1));
  c.days_since_last_login[row] = numericOrMissing(random, 'days_since_last_login', idleDays);
  c.usage_change_pct[row] = numericOrMissing(random, 'usage_change_pct', roundTo(clamp(random.normal(-8 * dissatisfaction, 18), -100, 100), 1));
  const allowanceGb = PLAN_ALLOWANCE_GB[c.plan[row]!]!;
  const usageGb = roundTo(allowanceGb * random.logNormal(0, 0.7), 2);
  const usageKnown = !isMissing(random, 'data_usage_gb');
  c.data_usage_gb[row] = usageKnown ? usageGb : NaN;
  c.allowance_used_pct[row] = usageKnown ? roundTo((100 * usageGb) / allowanceGb, 1) : NaN;
  c.avg_session_minutes[row] = numericOrMissing(random, 'avg_session_minutes', roundTo(random.logNormal(Math.log(12), 0.5), 1));
}

/** Products, network quality, devices and demographics. */
function drawServiceAndProfile(random: SeededRandom, c: ChurnFeatureColumns, row: number): void {
  c.num_products[row] = 1 + Math.min(5, random.poisson(0.7));
  c.referrals_count[row] = random.poisson(0.25);
  c.outage_minutes_30d[row] = random.chance(OUTAGE_CHANCE_BY_REGION[c.region[row]!]!) ? Math.round(random.exponential(90)) : 0;
  c.dropped_call_rate[row] = numericOrMissing(random, 'dropped_call_rate', roundTo(Math.min(0.3, random.exponential(0.02)), 4));
  c.num_devices[row] = 1 + random.poisson(1.2);
  c.device_os[row] = codeOrMissing(random, 'device_os', random.pick(DEVICE_OS_WEIGHTS));
  c.age[row] = numericOrMissing(random, 'age', clamp(Math.round(random.normal(44, 14)), 18, 90));
  c.credit_score[row] = numericOrMissing(random, 'credit_score', clamp(Math.round(random.normal(680, 70)), 300, 850));
}

/** Draws one customer into row `row`: always the same calls in the same order, so the stream defines the entity. */
function drawCustomer(random: SeededRandom, c: ChurnFeatureColumns, row: number): void {
  c.region[row] = random.pick(REGION_WEIGHTS);
  drawAccount(random, c, row);
  drawEngagement(random, c, row);
  drawServiceAndProfile(random, c, row);
}

function assertRange(seed: number, startIndex: number, rows: number): void {
  assertSeed(seed);
  if (!Number.isInteger(startIndex) || startIndex < 0 || !Number.isInteger(rows) || rows < 0 || startIndex + rows > MAX_ENTITY_INDEX + 1) {
    throw new InvalidInputError(`entity range must be whole numbers within [0, 2^32): startIndex ${startIndex}, rows ${rows}`);
  }
}

/** Entities startIndex .. startIndex + rows - 1 of the data set `seed`. */
export function generateChurnChunk(seed: number, startIndex: number, rows: number): ChurnChunk {
  assertRange(seed, startIndex, rows);
  const features = allocateChurnColumns(rows);
  const truth = new Float32Array(rows);
  const labels = new Uint8Array(rows);
  const entityIds: string[] = [];
  for (let row = 0; row < rows; row++) {
    const index = startIndex + row;
    const random = new SeededRandom(deriveSeed(seed, index));
    drawCustomer(random, features, row);
    // Truth reads the stored (float32) values, so it is exactly a function of what a model sees.
    truth[row] = churnProbability(features, row);
    labels[row] = random.next() < truth[row]! ? 1 : 0;
    entityIds.push(churnEntityId(index));
  }
  return { startIndex, rowCount: rows, entityIds, features, truth, labels };
}

/** The data set in chunks of at most chunkRows entities: memory stays bounded for any size. */
export function* generateChurnChunks(options: ChurnStreamOptions): Generator<ChurnChunk, void, undefined> {
  const { seed, rows, startIndex = 0, chunkRows = DEFAULT_CHUNK_ROWS } = options;
  assertRange(seed, startIndex, rows);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new InvalidInputError(`chunkRows must be a positive whole number, got ${chunkRows}`);
  }
  for (let offset = 0; offset < rows; offset += chunkRows) {
    yield generateChurnChunk(seed, startIndex + offset, Math.min(chunkRows, rows - offset));
  }
}
