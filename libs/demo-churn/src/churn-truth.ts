import { CATEGORY_MISSING } from '@platform/model-package';
import {
  ACQUISITION_CHANNELS,
  byCategory,
  type ChurnFeatureColumns,
  categoryCode,
  CONTRACT_TYPES,
  PAYMENT_METHODS,
  PLANS,
  REGIONS,
} from './churn-features';

/**
 * The true churn probability of a customer: a known function of the features the model sees, so
 * an evaluation can score with it (the oracle) and tell how much of the learnable signal a model
 * found. Most of the signal sits in interactions and thresholds, which a linear model on the same
 * inputs cannot represent: that is what makes the logistic-regression baseline lose.
 * Missing values count as the term says (missingness itself can carry signal, as in real data).
 */

const MONTH_TO_MONTH = categoryCode(CONTRACT_TYPES, 'month_to_month');
const ONE_YEAR = categoryCode(CONTRACT_TYPES, 'one_year');
const ELECTRONIC_CHECK = categoryCode(PAYMENT_METHODS, 'electronic_check');
const BASIC = categoryCode(PLANS, 'basic');
const STANDARD = categoryCode(PLANS, 'standard');

/**
 * Churn logit per percent of price increase: basic-plan customers shop around; on the big plans
 * an increase came with new services their users value, so it binds them slightly.
 */
const PRICE_SENSITIVITY_PER_PCT = byCategory(PLANS, { basic: 0.14, standard: 0.04, premium: -0.04, unlimited: -0.08 });
const REGION_OFFSET = byCategory(REGIONS, { north: 0, south: 0.15, east: -0.1, west: 0.05, central: 0.3 });
const CHANNEL_OFFSET = byCategory(ACQUISITION_CHANNELS, { online: 0.1, retail: -0.1, partner: 0, telesales: 0.35, referral: -0.4 });
const CHANNEL_MISSING_OFFSET = 0.15;

/** Puts the churn rate near 19%. */
const INTERCEPT = -3.0;

/** Without a contract new customers leave fast, and the risk fades with tenure; contracts lock in. */
function contractTenureTerm(contract: number, tenureMonths: number, discountPct: number, age: number): number {
  if (contract !== MONTH_TO_MONTH) return contract === ONE_YEAR ? -0.4 : -1;
  // Young customers without a contract are the most mobile; an unknown age (NaN) compares false.
  const young = age < 30 ? 0.8 : 0;
  // A discount is what keeps a customer without a contract; with a contract it changes nothing.
  return 2.4 * Math.exp(-tenureMonths / 10) + young - 0.05 * discountPct;
}

const smoothStep = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * New customers call support while settling in; an established customer who keeps calling is
 * fed up, from about the fourth call on.
 */
function supportCallsTerm(calls: number, tenureMonths: number): number {
  const established = 1 - Math.exp(-tenureMonths / 6);
  return established * (0.15 * Math.min(calls, 3) + 2.2 * smoothStep(3 * (calls - 3.5)));
}

/**
 * The plan does not fit the use: basic customers far over their allowance pay overage fees and
 * leave, big-plan customers far under theirs downgrade away. Same feature, opposite directions.
 */
function planFitTerm(plan: number, allowanceUsedPct: number): number {
  if (Number.isNaN(allowanceUsedPct) || plan === STANDARD) return 0;
  return plan === BASIC ? 1.8 * smoothStep((allowanceUsedPct - 200) / 30) : 1.8 * smoothStep((40 - allowanceUsedPct) / 10);
}

function disengagementTerm(daysSinceLogin: number, usageChangePct: number): number {
  const idle = Number.isNaN(daysSinceLogin) ? 0.4 : 0.8 * (1 - Math.exp(-daysSinceLogin / 21));
  const usageDrop = Number.isNaN(usageChangePct) ? 0 : 0.02 * Math.max(0, -usageChangePct - 15);
  return idle + usageDrop;
}

/** Detractors leave, promoters stay; customers who never answer lean slightly towards leaving. */
function npsTerm(nps: number): number {
  if (Number.isNaN(nps)) return 0.1;
  return 0.12 * Math.max(0, 7 - nps) - 0.1 * Math.max(0, nps - 8);
}

/** Outages only drive customers away when their calls drop as well. */
function serviceQualityTerm(outageMinutes: number, droppedCallRate: number): number {
  const callsSuffer = Number.isNaN(droppedCallRate) ? 0.1 : smoothStep((droppedCallRate - 0.03) / 0.005);
  return 1.8 * Math.tanh(outageMinutes / 60) * callsSuffer;
}

export function churnLogit(columns: ChurnFeatureColumns, row: number): number {
  const plan = columns.plan[row]!;
  const payment = columns.payment_method[row]!;
  const channel = columns.acquisition_channel[row]!;
  const latePayments = columns.late_payments_12m[row]!;
  return (
    INTERCEPT +
    contractTenureTerm(columns.contract_type[row]!, columns.tenure_months[row]!, columns.discount_pct[row]!, columns.age[row]!) +
    supportCallsTerm(columns.support_calls_90d[row]!, columns.tenure_months[row]!) +
    columns.price_increase_pct[row]! * PRICE_SENSITIVITY_PER_PCT[plan]! +
    planFitTerm(plan, columns.allowance_used_pct[row]!) +
    disengagementTerm(columns.days_since_last_login[row]!, columns.usage_change_pct[row]!) +
    npsTerm(columns.nps_score[row]!) +
    latePayments * (payment === ELECTRONIC_CHECK ? 0.5 : 0.12) +
    serviceQualityTerm(columns.outage_minutes_30d[row]!, columns.dropped_call_rate[row]!) +
    // Main effects, which a linear model captures as well:
    -0.2 * (columns.num_products[row]! - 1) -
    0.25 * Math.min(columns.referrals_count[row]!, 2) +
    REGION_OFFSET[columns.region[row]!]! +
    (channel === CATEGORY_MISSING ? CHANNEL_MISSING_OFFSET : CHANNEL_OFFSET[channel]!)
  );
}

export function churnProbability(columns: ChurnFeatureColumns, row: number): number {
  return 1 / (1 + Math.exp(-churnLogit(columns, row)));
}
