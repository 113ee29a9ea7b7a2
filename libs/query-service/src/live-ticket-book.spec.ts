import { LiveTicketBook } from './live-ticket-book';

const READER = { name: 'dashboard', scopes: ['read'] } as const;

describe('LiveTicketBook', () => {
  it('redeems a ticket once, for the model it was issued for', () => {
    const book = new LiveTicketBook(30_000, () => 1_000);
    const { ticket, expiresAt } = book.issue(READER, 'churn');
    expect(ticket).toMatch(/^lst_[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(31_000);
    expect(book.redeem(ticket, 'churn')).toEqual(READER);
    expect(book.redeem(ticket, 'churn')).toBeUndefined();
  });

  it('refuses a ticket for another model, and spends it', () => {
    const book = new LiveTicketBook();
    const { ticket } = book.issue(READER, 'churn');
    expect(book.redeem(ticket, 'fraud')).toBeUndefined();
    expect(book.redeem(ticket, 'churn')).toBeUndefined();
  });

  it('refuses an expired ticket and forgets expired ones', () => {
    let now = 0;
    const book = new LiveTicketBook(1_000, () => now);
    const { ticket } = book.issue(READER, 'churn');
    book.issue(READER, 'churn');
    now = 1_000;
    expect(book.redeem(ticket, 'churn')).toBeUndefined();
    expect(book.size).toBe(0);
  });

  it('refuses tickets it never issued', () => {
    const book = new LiveTicketBook();
    book.issue(READER, 'churn');
    expect(book.redeem('lst_forged', 'churn')).toBeUndefined();
    expect(book.redeem('', 'churn')).toBeUndefined();
  });
});
