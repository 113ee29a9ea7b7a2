import { runPhaseInThisProcess } from './bench-cli';
import { errorFileOf, runPhase } from './speed-throughput-phases';

/** One phase of `npm run bench -- speed-throughput` in a process of its own (started by it, not by hand). */
runPhaseInThisProcess(runPhase, errorFileOf);
