import { Injectable } from '@nestjs/common';

/** What a module must have done before its service takes traffic (state built, recovery done). */
export interface ReadinessCheck {
  readonly name: string;
  /** Null when ready, else why not. */
  notReadyReason(): string | null | Promise<string | null>;
}

/** Modules register their checks at start-up; the readiness probe asks them all. */
@Injectable()
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async problems(): Promise<Record<string, string>> {
    const problems: Record<string, string> = {};
    for (const check of this.checks) {
      const reason = await check.notReadyReason();
      if (reason !== null) problems[check.name] = reason;
    }
    return problems;
  }
}
