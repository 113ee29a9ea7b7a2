import { createHash, randomBytes } from 'node:crypto';
import { type ApiPrincipal } from '@platform/access';
import { type EpochMs } from '@platform/domain';

/** How long a ticket can open a stream: enough for a page to connect right after asking for it. */
export const LIVE_TICKET_TTL_MS = 30_000;

const TICKET_PREFIX = 'lst_';

export interface IssuedLiveTicket {
  readonly ticket: string;
  readonly expiresAt: EpochMs;
}

interface Outstanding {
  readonly principal: ApiPrincipal;
  readonly model: string;
  readonly expiresAt: EpochMs;
}

function digest(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

/**
 * Single-use, short-lived tickets that open one model's live feed. A browser's EventSource cannot
 * send the x-api-key header, so the page trades its key (sent in the header) for a ticket and puts
 * the ticket in the stream's URL. URLs end up in request logs, proxies and history: a ticket there
 * is worthless once it opened its stream or after LIVE_TICKET_TTL_MS, and it never reveals the key.
 * Only digests are kept, as for keys.
 */
export class LiveTicketBook {
  private readonly outstanding = new Map<string, Outstanding>();

  constructor(
    private readonly ttlMs: number = LIVE_TICKET_TTL_MS,
    private readonly now: () => EpochMs = Date.now,
  ) {}

  issue(principal: ApiPrincipal, model: string): IssuedLiveTicket {
    this.dropExpired();
    const ticket = `${TICKET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = this.now() + this.ttlMs;
    this.outstanding.set(digest(ticket), { principal, model, expiresAt });
    return { ticket, expiresAt };
  }

  /** The principal the ticket was issued to, when it is for this model and unexpired; a ticket redeems once. */
  redeem(ticket: string, model: string): ApiPrincipal | undefined {
    const key = digest(ticket);
    const entry = this.outstanding.get(key);
    if (entry === undefined) return undefined;
    this.outstanding.delete(key);
    return entry.model === model && entry.expiresAt > this.now() ? entry.principal : undefined;
  }

  /** Tickets issued and neither redeemed nor expired. */
  get size(): number {
    this.dropExpired();
    return this.outstanding.size;
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [key, entry] of this.outstanding) if (entry.expiresAt <= now) this.outstanding.delete(key);
  }
}
