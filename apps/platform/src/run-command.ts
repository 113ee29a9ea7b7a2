/**
 * Runs a command-line entry point: its resolved number is the exit code; an unexpected error is
 * printed with its stack and exits 1. Exit codes set, not process.exit(), so open handles drain.
 */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
