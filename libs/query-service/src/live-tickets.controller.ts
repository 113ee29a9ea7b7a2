import { type ApiPrincipal } from '@platform/access';
import { LiveFeed, ServingStateSync } from '@platform/query-layer';
import { ServingState } from '@platform/query-domain';
import { CurrentPrincipal, PlatformErrorFilter, RequireScope, ZodValidationPipe } from '@platform/service-kit';
import { Controller, HttpStatus, Inject, type MessageEvent, Param, Post, Query, Sse, UnauthorizedException, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { type Observable } from 'rxjs';
import { z } from 'zod';
import { type IssuedLiveTicket, LiveTicketBook } from './live-ticket-book';
import { liveMessages, servedModelState } from './query.controller';
import { modelParams } from './query-request-schemas';
import { RateLimitGuard } from './rate-limit.guard';

const ticketQuery = z.strictObject({ ticket: z.string().min(1).max(128) });

/**
 * The live feed for browsers (the dashboard): EventSource cannot send the x-api-key header, and a
 * key in a URL would leak into logs and history. So a read key buys a single-use ticket that
 * expires in 30 s (LiveTicketBook), and only this stream accepts it. API clients that can set
 * headers use GET /models/:model/live with their key.
 */
@ApiTags('predictions')
@UseFilters(new PlatformErrorFilter({ UNKNOWN_MODEL: HttpStatus.NOT_FOUND }))
@Controller('models/:model/live')
export class LiveTicketsController {
  constructor(
    @Inject(ServingState) private readonly serving: ServingState,
    @Inject(ServingStateSync) private readonly sync: ServingStateSync,
    @Inject(LiveFeed) private readonly feed: LiveFeed,
    @Inject(LiveTicketBook) private readonly tickets: LiveTicketBook,
  ) {}

  @Post('tickets')
  @RequireScope('read')
  @UseGuards(RateLimitGuard)
  @ApiSecurity('api-key')
  @ApiOperation({ summary: 'A single-use ticket (valid 30 s) that opens GET live/ticketed once, for clients that cannot send headers' })
  @ApiParam({ name: 'model' })
  issue(
    @Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>,
    @CurrentPrincipal() principal: ApiPrincipal,
  ): IssuedLiveTicket {
    servedModelState(this.serving, this.sync, model);
    return this.tickets.issue(principal, model);
  }

  @Sse('ticketed')
  @ApiOperation({ summary: 'The live feed (as GET live) opened with a ticket from POST live/tickets instead of a key' })
  @ApiParam({ name: 'model' })
  @ApiQuery({ name: 'ticket', required: true })
  stream(
    @Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>,
    @Query(new ZodValidationPipe(ticketQuery, 'query')) { ticket }: z.infer<typeof ticketQuery>,
  ): Observable<MessageEvent> {
    if (this.tickets.redeem(ticket, model) === undefined) {
      throw new UnauthorizedException(`not a live ticket for model ${model}, or already used or expired: ask POST /models/${model}/live/tickets for a new one`);
    }
    servedModelState(this.serving, this.sync, model);
    return liveMessages(this.feed, model);
  }
}
