import { ClickHouseEngine } from '@platform/clickhouse-store';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Readiness } from './readiness';

/** Liveness: the process answers. Readiness: the store answers and every module is ready. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ClickHouseEngine) private readonly engine: ClickHouseEngine,
    @Inject(Readiness) private readonly readiness: Readiness,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process serves requests' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 when ClickHouse answers and start-up work is done, else 503 with reasons' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      async () => {
        const store = this.indicators.check('clickhouse');
        const reachable = await this.engine.ping().catch(() => false);
        return reachable ? store.up({ engine: this.engine.kind }) : store.down({ engine: this.engine.kind, message: 'ClickHouse does not answer' });
      },
      async () => {
        const modules = this.indicators.check('modules');
        const problems = await this.readiness.problems();
        return Object.keys(problems).length === 0 ? modules.up() : modules.down(problems);
      },
    ]);
  }
}
