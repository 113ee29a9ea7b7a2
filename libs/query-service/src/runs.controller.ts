import { BatchRunRepository, ClickHouseEngine } from '@platform/clickhouse-store';
import { type BatchRunRecord, PlatformError } from '@platform/domain';
import { PlatformErrorFilter, RequireScope, ZodValidationPipe } from '@platform/service-kit';
import { Controller, Get, HttpStatus, Inject, Param, Query, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { type z } from 'zod';
import { RateLimitGuard } from './rate-limit.guard';
import { modelParams, runListQuery, runParams } from './query-request-schemas';

export class UnknownRunError extends PlatformError {
  readonly code = 'RUN_NOT_FOUND';
  readonly retriable = false;
}

/** A run as dashboards read it: its report parsed (null until verified). */
type RunView = Omit<BatchRunRecord, 'report'> & { readonly report: unknown };

function view(run: BatchRunRecord): RunView {
  return { ...run, report: run.report === '' ? null : (JSON.parse(run.report) as unknown) };
}

/** Batch runs and their verification reports, read-only, for dashboards (read scope). */
@ApiTags('runs')
@ApiSecurity('api-key')
@RequireScope('read')
@UseGuards(RateLimitGuard)
@UseFilters(new PlatformErrorFilter({ RUN_NOT_FOUND: HttpStatus.NOT_FOUND }))
@Controller('models/:model/runs')
export class RunsController {
  private readonly runs: BatchRunRepository;

  constructor(@Inject(ClickHouseEngine) engine: ClickHouseEngine) {
    this.runs = new BatchRunRepository(engine);
  }

  @Get()
  @ApiOperation({ summary: 'Runs of a model, newest first, with their verification reports' })
  @ApiParam({ name: 'model' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 20' })
  async list(
    @Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>,
    @Query(new ZodValidationPipe(runListQuery, 'query')) { limit }: z.infer<typeof runListQuery>,
  ): Promise<RunView[]> {
    return (await this.runs.list(model, limit)).map(view);
  }

  @Get(':runId')
  @ApiOperation({ summary: 'One run with its verification report' })
  @ApiParam({ name: 'model' })
  @ApiParam({ name: 'runId' })
  async get(@Param(new ZodValidationPipe(runParams, 'path')) { model, runId }: z.infer<typeof runParams>): Promise<RunView> {
    const run = await this.runs.get(runId);
    if (run === undefined || run.model !== model) throw new UnknownRunError(`model ${model} has no run ${runId}`);
    return view(run);
  }
}
