import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Source → transform → sink, each stage running concurrently with the others and at most `depth`
 * items waiting between two stages: the slowest stage sets the pace and memory stays bounded
 * whatever the source's size. The first error stops every stage (the source is closed) and rejects.
 */
export async function runBoundedPipeline<In, Out>(
  source: AsyncIterable<In>,
  transform: (item: In) => Promise<Out>,
  sink: (item: Out) => Promise<void>,
  depth: number,
): Promise<void> {
  await pipeline(
    Readable.from(source, { objectMode: true, highWaterMark: depth }),
    new Transform({
      objectMode: true,
      writableHighWaterMark: depth,
      readableHighWaterMark: depth,
      transform(item: In, _encoding, done) {
        transform(item).then((result) => done(null, result), done);
      },
    }),
    new Writable({
      objectMode: true,
      highWaterMark: depth,
      write(item: Out, _encoding, done) {
        sink(item).then(() => done(), done);
      },
    }),
  );
}
