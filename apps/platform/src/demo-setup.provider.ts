import { ClickHouseEngine } from '@platform/clickhouse-store';
import { ensureChurnDemo } from '@platform/demo-churn';
import { type PlatformConfig } from '@platform/platform-config';
import { PLATFORM_CONFIG } from '@platform/service-kit';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';

/**
 * The embedded quick start's data: the demo model and source, made once before the batch layer's
 * start-up (module init runs before application bootstrap, where the first run starts).
 */
@Injectable()
export class DemoSetup implements OnModuleInit {
  constructor(
    @Inject(ClickHouseEngine) private readonly engine: ClickHouseEngine,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(PinoLogger) private readonly logger: PinoLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    await ensureChurnDemo({ engine: this.engine, modelStoreDir: this.config.modelStoreDir, sourceRows: this.config.demoSourceRows, log: this.logger.logger });
  }
}
