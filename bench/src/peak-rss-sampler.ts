import { readFileSync } from 'node:fs';
import { resourceUsage } from 'node:process';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface MemoryAndCpu {
  /** This process's RSS when sampling started. */
  readonly startRssBytes: number;
  /** Largest RSS seen while sampling (every `intervalMs`, and at start and stop). */
  readonly peakRssBytes: number;
  /** The kernel's high-water mark of this process's RSS over its whole life (never reset). */
  readonly lifetimeMaxRssBytes: number;
  /** CPU seconds of every thread of this process (engine and TensorFlow threads included). */
  readonly processCpuSeconds: number;
  /** The ClickHouse server's RSS peak and CPU seconds over the same window, when its pid is known. */
  readonly server: { readonly startRssBytes: number; readonly peakRssBytes: number; readonly cpuSeconds: number } | null;
}

function serverRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

function serverCpuSeconds(pid: number): number {
  // Fields after the parenthesised command: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Peak RSS of this process (and of a local ClickHouse server) over one measurement, sampled on a
 * timer. A timer can miss a peak while the event loop is blocked, so the kernel's lifetime maximum
 * is reported beside it: in a child process that runs one measurement, the two should agree.
 */
export class PeakRssSampler {
  private timer: NodeJS.Timeout | undefined;
  private startRss = 0;
  private peakRss = 0;
  private startCpu = 0;
  private serverStartRss = 0;
  private serverPeakRss = 0;
  private serverStartCpu = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly serverPid: number | null,
  ) {}

  start(): void {
    this.startRss = process.memoryUsage.rss();
    this.startCpu = cpuSeconds();
    if (this.serverPid !== null) {
      this.serverStartRss = serverRssBytes(this.serverPid);
      this.serverStartCpu = serverCpuSeconds(this.serverPid);
    }
    this.sample();
    // Unref'd: a measurement that throws must not be kept alive by its sampler.
    this.timer = setInterval(() => this.sample(), this.intervalMs).unref();
  }

  stop(): MemoryAndCpu {
    clearInterval(this.timer);
    this.sample();
    return {
      startRssBytes: this.startRss,
      peakRssBytes: this.peakRss,
      lifetimeMaxRssBytes: resourceUsage().maxRSS * 1024,
      processCpuSeconds: cpuSeconds() - this.startCpu,
      server:
        this.serverPid === null
          ? null
          : { startRssBytes: this.serverStartRss, peakRssBytes: this.serverPeakRss, cpuSeconds: serverCpuSeconds(this.serverPid) - this.serverStartCpu },
    };
  }

  private sample(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    if (this.serverPid !== null) this.serverPeakRss = Math.max(this.serverPeakRss, serverRssBytes(this.serverPid));
  }
}
