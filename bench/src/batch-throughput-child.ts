import { runPhaseInThisProcess } from './bench-cli';
import { errorFileOf, runPhase } from './batch-throughput-phases';

/** One phase of `npm run bench -- batch-throughput` in a process of its own (started by it, not by hand). */
runPhaseInThisProcess(runPhase, errorFileOf);
