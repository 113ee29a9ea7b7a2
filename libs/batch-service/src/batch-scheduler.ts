import { BatchOperations } from '@platform/batch-layer';
import { RunInProgressError } from '@platform/batch-domain';
import { type PlatformConfig } from '@platform/platform-config';
import { PLATFORM_CONFIG, Readiness } from '@platform/service-kit';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { PinoLogger } from 'nestjs-pino';

const jobName = (model: string): string => `batch-run:${model}`;
const RETENTION_JOB = 'retention-sweep';

/**
 * The batch layer's start-up and clock: recover what a killed process left behind, give every
 * deployment without a published run a first run, then run each on its cron schedule (UTC). A
 * tick while the model is still running elsewhere is skipped, not queued. The retention sweep runs
 * once at start and on its own schedule.
 */
@Injectable()
export class BatchScheduler implements OnApplicationBootstrap {
  private startupDone = false;

  constructor(
    @Inject(BatchOperations) private readonly operations: BatchOperations,
    @Inject(SchedulerRegistry) private readonly schedules: SchedulerRegistry,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(Readiness) private readonly readiness: Readiness,
    @Inject(PinoLogger) private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.readiness.register({ name: 'batch-recovery', notReadyReason: () => (this.startupDone ? null : 'recovering interrupted runs') });
    // In the background: with Kafka, taking a lock a dead process held waits out its session.
    this.startUp().catch((error: unknown) => this.logger.error({ err: error }, 'batch layer start-up failed'));
  }

  /** When the model's cron fires next (epoch ms); null when the scheduler is off or start-up is not done. */
  nextRunAt(model: string): number | null {
    if (!this.schedules.doesExist('cron', jobName(model))) return null;
    return this.schedules.getCronJob(jobName(model)).nextDate().toMillis();
  }

  private async startUp(): Promise<void> {
    await this.operations.recover();
    this.startupDone = true;
    if (this.config.batchInitialRun) {
      for (const { model } of this.operations.deployments) {
        if ((await this.operations.currentRun(model)) === undefined) void this.run(model, 'startup');
      }
    }
    if (!this.config.batchScheduler) return;
    void this.sweepRetention();
    this.schedules.addCronJob(RETENTION_JOB, CronJob.from({ cronTime: this.config.retention.schedule, onTick: () => void this.sweepRetention(), start: true, timeZone: 'UTC' }));
    for (const { model, schedule } of this.operations.deployments) {
      const job = CronJob.from({ cronTime: schedule, onTick: () => void this.run(model, 'schedule'), start: true, timeZone: 'UTC' });
      this.schedules.addCronJob(jobName(model), job);
      this.logger.info({ model, schedule, nextRunAt: new Date(this.nextRunAt(model) ?? 0).toISOString() }, 'scheduled');
    }
  }

  private async sweepRetention(): Promise<void> {
    try {
      await this.operations.sweepRetention('scheduler');
    } catch (error) {
      // The next tick tries again; nothing is lost by keeping partitions a while longer.
      this.logger.warn({ err: error }, 'retention sweep failed');
    }
  }

  private async run(model: string, trigger: 'startup' | 'schedule'): Promise<void> {
    try {
      await this.operations.runToCompletion(model, 'scheduler', trigger);
    } catch (error) {
      if (error instanceof RunInProgressError) this.logger.info({ model, trigger }, 'run skipped: the model is already running');
      // Failures are logged with the run id by BatchOperations; a refusal to start is logged here.
      else this.logger.warn({ model, trigger, err: error }, 'scheduled run did not publish');
    }
  }
}
