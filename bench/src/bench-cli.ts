import { readFileSync, writeFileSync } from 'node:fs';

/** `--rows 1000000,10_000_000`: positive integers separated by commas (underscores allowed). */
export function positiveIntegers(text: string, option: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim().replaceAll('_', '')));
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`${option} takes positive integers separated by commas, got ${text}`);
  return values;
}

/**
 * The body of a benchmark's child process: `node <child>.ts <spec.json>` runs one phase and writes
 * its result to the spec's resultFile (so nothing a library prints on stdout can corrupt it), or
 * its error beside it for the parent's report.
 */
export function runPhaseInThisProcess<Spec extends { readonly resultFile: string }>(runPhase: (spec: Spec) => Promise<unknown>, errorFileOf: (spec: Spec) => string): void {
  const main = async (): Promise<void> => {
    const specFile = process.argv[2];
    if (specFile === undefined) throw new Error(`usage: ${process.argv[1]} <spec.json> (started by its benchmark, not by hand)`);
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Spec;
    try {
      writeFileSync(spec.resultFile, JSON.stringify(await runPhase(spec)));
    } catch (error) {
      writeFileSync(errorFileOf(spec), error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      throw error;
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
