import { readFileSync, writeFileSync } from 'node:fs';
import { errorFileOf, type PhaseSpec, runPhase } from './speed-throughput-phases';

/**
 * One phase of `npm run bench -- speed-throughput` in a process of its own (started by it, not by
 * hand): `node speed-throughput-child.ts <spec.json>`. Writes the phase's result to the spec's
 * resultFile, so nothing a library prints on stdout can corrupt it.
 */
async function main(): Promise<void> {
  const specFile = process.argv[2];
  if (specFile === undefined) throw new Error('usage: speed-throughput-child.ts <spec.json> (started by speed-throughput.ts)');
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as PhaseSpec;
  try {
    writeFileSync(spec.resultFile, JSON.stringify(await runPhase(spec)));
  } catch (error) {
    writeFileSync(errorFileOf(spec), error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
