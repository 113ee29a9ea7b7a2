import { type ApiPrincipal } from '@platform/access';
import { BatchOperations, type RunInFlight } from '@platform/batch-layer';
import { parseVerificationReport, type VerificationReport } from '@platform/batch-verification';
import { type AuditEntry, type AuditLog, type BatchRunRecord, type ServingPointer } from '@platform/domain';
import { AUDIT_LOG, CurrentPrincipal, PlatformErrorFilter, RequireScope, ZodValidationPipe } from '@platform/service-kit';
import { Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BatchScheduler } from './batch-scheduler';

const modelParams = z.object({ model: z.string().min(1).max(64) });
const runParams = modelParams.extend({ runId: z.string().min(1).max(128) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(20) });
const auditQuery = listQuery.extend({ model: z.string().min(1).max(64).optional() });

/** A run as the API lists it: the report's size instead of the report. */
type RunSummary = Omit<BatchRunRecord, 'report'> & { readonly reportBytes: number; readonly progress?: RunInFlight['estimate'] & { rowsRead: number; rowsTotal: number } };

function summary(run: BatchRunRecord, flight: RunInFlight | undefined): RunSummary {
  const { report, ...rest } = run;
  const progress = flight?.run.runId === run.runId ? { rowsRead: flight.rowsRead, rowsTotal: flight.rowsTotal, ...flight.estimate } : undefined;
  return { ...rest, reportBytes: report.length, ...(progress === undefined ? {} : { progress }) };
}

/** Statuses of the batch layer's own refusals; the rest follow PlatformErrorFilter's defaults. */
const BATCH_ERROR_STATUS = {
  UNKNOWN_DEPLOYMENT: HttpStatus.NOT_FOUND,
  RUN_NOT_FOUND: HttpStatus.NOT_FOUND,
  NO_ACTIVE_MODEL_VERSION: HttpStatus.CONFLICT,
  RUN_IN_PROGRESS: HttpStatus.CONFLICT,
  NOTHING_TO_ROLL_BACK: HttpStatus.CONFLICT,
} as const;

/** The batch layer's admin API: every route needs an admin key; starts and rollbacks are audited, refusals included. */
@ApiTags('batch admin')
@ApiSecurity('api-key')
@RequireScope('admin')
@UseFilters(new PlatformErrorFilter(BATCH_ERROR_STATUS))
@Controller('admin')
export class BatchAdminController {
  constructor(
    @Inject(BatchOperations) private readonly operations: BatchOperations,
    @Inject(BatchScheduler) private readonly scheduler: BatchScheduler,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'Deployed models: schedule, next scheduled run, current run and the run in flight' })
  async models(): Promise<object[]> {
    return Promise.all(
      this.operations.deployments.map(async ({ model, schedule, modelVersion }) => {
        const current: ServingPointer | undefined = await this.operations.currentRun(model);
        const flight = this.operations.progress(model);
        return {
          model,
          pinnedVersion: modelVersion ?? null,
          schedule,
          nextRunAt: this.scheduler.nextRunAt(model),
          current: current ?? null,
          running: flight === undefined ? null : summary(flight.run, flight),
        };
      }),
    );
  }

  @Post('models/:model/runs')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Start a run now; answers 202 once it has its id (follow it at the run detail), 409 while one runs' })
  @ApiParam({ name: 'model' })
  @ApiResponse({ status: 202, description: 'started' })
  @ApiResponse({ status: 409, description: 'a run of the model is already under way, or the model has no active version' })
  async startRun(@Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>, @CurrentPrincipal() principal: ApiPrincipal): Promise<RunSummary> {
    const run = await this.operations.startRun(model, principal.name, 'api');
    return summary(run, this.operations.progress(model));
  }

  @Get('models/:model/runs')
  @ApiOperation({ summary: 'Runs of a model, newest first (progress on the one in flight)' })
  @ApiParam({ name: 'model' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 20' })
  async listRuns(
    @Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>,
    @Query(new ZodValidationPipe(listQuery, 'query')) { limit }: z.infer<typeof listQuery>,
  ): Promise<RunSummary[]> {
    const flight = this.operations.progress(model);
    return (await this.operations.listRuns(model, limit)).map((run) => summary(run, flight));
  }

  @Get('models/:model/runs/:runId')
  @ApiOperation({ summary: 'One run with its verification report (null until verified)' })
  @ApiParam({ name: 'model' })
  @ApiParam({ name: 'runId' })
  async getRun(@Param(new ZodValidationPipe(runParams, 'path')) { model, runId }: z.infer<typeof runParams>): Promise<RunSummary & { report: VerificationReport | null }> {
    const run = await this.operations.getRun(model, runId);
    const report = run.report === '' ? null : parseVerificationReport(run.report, `run ${run.runId}`);
    return { ...summary(run, this.operations.progress(model)), report };
  }

  @Post('models/:model/rollback')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Serve the previous kept published run again (one pointer row); 409 when there is none' })
  @ApiParam({ name: 'model' })
  rollback(@Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>, @CurrentPrincipal() principal: ApiPrincipal): Promise<ServingPointer> {
    return this.operations.rollback(model, principal.name);
  }

  @Get('audit')
  @ApiOperation({ summary: 'The audit trail of admin actions, newest first' })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 20' })
  auditTrail(@Query(new ZodValidationPipe(auditQuery, 'query')) query: z.infer<typeof auditQuery>): Promise<AuditEntry[]> {
    return this.audit.list(query.model === undefined ? { limit: query.limit } : { model: query.model, limit: query.limit });
  }
}
