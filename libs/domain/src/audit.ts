import { type EpochMs } from './predictions';

/** accepted: it ran; rejected: refused before it ran (bad input, missing scope); failed: it ran and failed. */
export type AuditOutcome = 'accepted' | 'rejected' | 'failed';

/** One admin action (trigger, publish, rollback, ...), whatever its outcome: who did what to what. */
export interface AuditEntry {
  readonly at: EpochMs;
  /** The API key's name, or the operator of a command-line action. */
  readonly actor: string;
  readonly action: string;
  /** Empty when the action concerns no single model. */
  readonly model: string;
  /** What the action was applied to, e.g. a run id; empty when nothing beyond the model. */
  readonly target: string;
  readonly outcome: AuditOutcome;
  /** Free text: the reason of a rejection or failure, or the action's parameters. */
  readonly detail: string;
}

export interface AuditQuery {
  readonly model?: string;
  readonly limit: number;
}

/** The audit trail of admin actions. Append-only: entries are never changed. */
export interface AuditLog {
  /** Records an entry; `at` defaults to now. Returns the entry as stored. */
  append(entry: Omit<AuditEntry, 'at'> & { readonly at?: EpochMs }): Promise<AuditEntry>;
  /** Newest first, of one model when `model` is given. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}
