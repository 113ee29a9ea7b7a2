import { PlatformError } from '@platform/domain';

/**
 * A serving state that would outgrow its memory budget. The load is abandoned: the model keeps
 * serving the state it had (or none), and the operator raises QUERY_STATE_MAX_BYTES or adds
 * replicas. Not retriable: the same run will not shrink.
 */
export class ServingStateBudgetExceededError extends PlatformError {
  readonly code = 'SERVING_STATE_BUDGET_EXCEEDED';
  readonly retriable = false;
}

/** Bytes a serving state may take, checked while it is being built, before memory is spent. */
export interface MemoryBudget {
  readonly limitBytes: number;
  /** Bytes already held by the other models' states. */
  readonly usedElsewhereBytes: number;
}

export function assertWithinBudget(budget: MemoryBudget, neededBytes: number, what: string): void {
  if (budget.usedElsewhereBytes + neededBytes > budget.limitBytes) {
    throw new ServingStateBudgetExceededError(
      `${what} needs about ${neededBytes} bytes; with ${budget.usedElsewhereBytes} bytes held by other models ` +
        `that is over the serving-state budget of ${budget.limitBytes} bytes (QUERY_STATE_MAX_BYTES)`,
    );
  }
}
