import { type SpeedRowCounts, type SpeedTopicFeed } from '@platform/query-layer';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Where the speed tails' rows come from and whether the output-topic consumer is live, read at scrape time. */
export function registerSpeedTopicMetrics(registry: Registry, feed: SpeedTopicFeed, counts: SpeedRowCounts): void {
  new Counter({
    name: 'query_speed_rows_total',
    help: 'Speed rows the tails took, by source: the output topic, or ClickHouse (first read of a state, reconciliation, polling while the topic is unavailable)',
    labelNames: ['source'],
    registers: [registry],
    collect(this: Counter<'source'>) {
      this.reset();
      this.inc({ source: 'topic' }, counts.topic);
      this.inc({ source: 'store' }, counts.store);
    },
  });
  new Counter({
    name: 'query_speed_topic_malformed_messages_total',
    help: 'Output-topic messages skipped as malformed (each logged with its topic, partition and offset)',
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      this.inc(feed.malformedMessages);
    },
  });
  new Gauge({
    name: 'query_speed_topic_live',
    help: '1 while the output-topic consumer is positioned and the tails take rows from it, 0 while they poll ClickHouse',
    registers: [registry],
    collect(this: Gauge) {
      this.set(feed.live ? 1 : 0);
    },
  });
}
