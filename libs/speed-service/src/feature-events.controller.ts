import { PlatformErrorFilter, RequireScope, ZodValidationPipe } from '@platform/service-kit';
import { FeatureEventIntake, type IntakeOutcome } from '@platform/speed-layer';
import { Body, Controller, HttpCode, HttpStatus, Inject, Post, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';

/** As many events as one micro-batch holds by default, at most. */
const MAX_EVENTS_PER_REQUEST = 5_000;

/** Request body limit of an app serving the intake: 5,000 events of about 1 KiB, with room. */
export const FEATURE_EVENTS_BODY_LIMIT_BYTES = 8 * 1_048_576;

const submission = z.strictObject({ events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_REQUEST) });

/** Feature events over HTTP, into the speed layer's pipeline (admin key). */
@ApiTags('speed layer')
@ApiSecurity('api-key')
@RequireScope('admin')
@UseFilters(new PlatformErrorFilter({ EVENTS_NOT_YET_WRITTEN: HttpStatus.SERVICE_UNAVAILABLE }))
@Controller()
export class FeatureEventsController {
  constructor(@Inject(FeatureEventIntake) private readonly intake: FeatureEventIntake) {}

  @Post('feature-events')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Submit feature events (feature-event/v1, see libs/speed-domain/EVENT-CONTRACT.md)',
    description:
      'Each event is checked against the event contract: refused ones are listed with their index, reason and detail; accepted ones go to the speed layer. ' +
      '`written: true` means they are in ClickHouse (embedded mode); `false` that Kafka has them. 503 when the embedded mode could not write them within 30 s.',
  })
  @ApiResponse({ status: 200, description: '{ accepted, rejected: [{ index, reason, detail }], written }' })
  submit(@Body(new ZodValidationPipe(submission, 'body')) body: z.infer<typeof submission>): Promise<IntakeOutcome> {
    return this.intake.submit(body.events);
  }
}
