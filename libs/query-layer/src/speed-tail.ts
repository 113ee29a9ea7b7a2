import { type EpochMs, type SpeedPrediction } from '@platform/domain';
import { type ModelServingState, RecentEventIds } from '@platform/query-domain';
import { type ServingStateReader } from './serving-state-reader';

/**
 * Where the tail reads speed rows from: the store (ServingStateReader, a watermark poll), or with
 * Kafka the speed layer's output topic (TopicSpeedRowSource). `scoredFrom` 0 asks for every row.
 */
export type SpeedRowSource = Pick<ServingStateReader, 'readSpeedRows'>;

/** The row source for a new serving state's tail, given the store's; the store's itself by default. */
export type SpeedRowSourceFactory = (model: string, store: SpeedRowSource) => SpeedRowSource;

/**
 * Tails one model state's speed rows with a watermark poll: each poll reads the rows scored at or
 * after (latest scored-at seen − overlap), since rows become visible out of scored-at order (a
 * writer's batch lands after a later one's, clocks differ a little); ids seen within the window
 * are skipped, so every row is offered once.
 */
export class SpeedTail {
  private readonly recent = new RecentEventIds();
  private latestScoredAt: EpochMs = 0;

  constructor(
    readonly state: ModelServingState,
    private readonly reader: SpeedRowSource,
    private readonly overlapMs: number,
  ) {}

  /** Reads, offers the new rows, and returns those that changed their entity's answer. */
  async poll(now: () => EpochMs): Promise<SpeedPrediction[]> {
    const startedAt = now();
    const from = this.latestScoredAt === 0 ? 0 : this.latestScoredAt - this.overlapMs;
    const rows = await this.reader.readSpeedRows(this.state.model, this.state.pointer, from);
    const changed: SpeedPrediction[] = [];
    for (const row of rows) {
      if (!this.recent.add(row)) continue;
      if (row.scoredAt > this.latestScoredAt) this.latestScoredAt = row.scoredAt;
      if (this.state.offerSpeed(row)) changed.push(row);
    }
    this.recent.forgetBefore(this.latestScoredAt - this.overlapMs);
    this.state.markSpeedAsOf(startedAt);
    return changed;
  }
}
