import { type CurrentRun, type EpochMs, isEligibleSpeedPrediction, type SpeedPrediction } from '@platform/domain';
import { type SpeedRowSource, type SpeedRowSourceFactory } from './speed-tail';
import { type SpeedTopicFeed, type SpeedTopicReader } from './speed-topic-feed';

export interface TopicSpeedRowSourceOptions {
  /** How often ClickHouse is read anyway, for rows whose message the consumer missed. */
  readonly reconcileIntervalMs: number;
  /** How far back a reconciliation re-reads before the latest row it saw (rows become visible out of scored-at order). */
  readonly overlapMs: number;
}

/** Rows a tail took, by where they came from (for metrics). */
export interface SpeedRowCounts {
  topic: number;
  store: number;
}

/**
 * The speed rows of one serving state from its model's output topic: the first read, and every
 * read after the topic's continuity broke (broker down, rejoin), comes from ClickHouse; otherwise
 * the rows the topic delivered since the last poll, plus every `reconcileIntervalMs` a ClickHouse
 * read from the latest scored-at it saw there minus the overlap, so a message the consumer missed
 * is still served. Rows may repeat across the two: the tail de-duplicates them.
 */
export class TopicSpeedRowSource implements SpeedRowSource {
  private lastStoreReadAt: EpochMs = -Infinity;
  private reconcileFrom: EpochMs = 0;

  constructor(
    private readonly feed: SpeedTopicFeed,
    private readonly reader: SpeedTopicReader,
    private readonly store: SpeedRowSource,
    private readonly options: TopicSpeedRowSourceOptions,
    private readonly counts: SpeedRowCounts,
    private readonly now: () => EpochMs = Date.now,
  ) {}

  async readSpeedRows(model: string, current: CurrentRun, scoredFrom: EpochMs): Promise<SpeedPrediction[]> {
    const delivered = this.feed.take(this.reader);
    if (delivered === null) return this.readStore(model, current, Math.min(scoredFrom, this.reconcileFrom));
    const fromTopic = delivered.filter((row) => isEligibleSpeedPrediction(row, current));
    this.counts.topic += fromTopic.length;
    if (this.now() - this.lastStoreReadAt < this.options.reconcileIntervalMs) return fromTopic;
    return [...fromTopic, ...(await this.readStore(model, current, this.reconcileFrom))];
  }

  private async readStore(model: string, current: CurrentRun, scoredFrom: EpochMs): Promise<SpeedPrediction[]> {
    const startedAt = this.now();
    const rows = await this.store.readSpeedRows(model, current, scoredFrom);
    this.lastStoreReadAt = startedAt;
    let latest = -Infinity;
    for (const row of rows) if (row.scoredAt > latest) latest = row.scoredAt;
    // With nothing read, the next reconciliation starts where this one did.
    if (latest !== -Infinity) this.reconcileFrom = Math.max(this.reconcileFrom, latest - this.options.overlapMs);
    this.counts.store += rows.length;
    return rows;
  }
}

/** Tails from the output topic for the models that have one; the others keep the store's poll. */
export function topicSpeedRowSources(
  feed: SpeedTopicFeed,
  options: TopicSpeedRowSourceOptions,
  counts: SpeedRowCounts,
  now: () => EpochMs = Date.now,
): SpeedRowSourceFactory {
  return (model, store) => {
    const reader = feed.reader(model);
    return reader === undefined ? store : new TopicSpeedRowSource(feed, reader, store, options, counts, now);
  };
}
