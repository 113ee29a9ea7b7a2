import { PlatformError } from '@platform/domain';
import { type ModelSummary, type RankedPage, SegmentFilter, type ServedPrediction, ServingState } from '@platform/query-domain';
import { LiveFeed, ServingStateSync } from '@platform/query-layer';
import { PlatformErrorFilter, RequireScope, ZodValidationPipe } from '@platform/service-kit';
import { Body, Controller, Get, HttpCode, HttpStatus, Inject, type MessageEvent, Param, Post, Query, Sse, UseFilters, UseGuards } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { z } from 'zod';
import { RateLimitGuard } from './rate-limit.guard';
import { encodeRankCursor, entityParams, lookupBody, type LookupBody, modelParams, rankingQuery, segmentQuery } from './query-request-schemas';
import { SERVED_PREDICTION_SCHEMA, servedPredictionsResponse } from './served-prediction.schema';

/** Asked before the first load finished: retry shortly (503 with retry-after). */
export class ServingStateNotReadyError extends PlatformError {
  readonly code = 'SERVING_STATE_NOT_READY';
  readonly retriable = true;
}

const QUERY_ERROR_STATUS = { UNKNOWN_MODEL: HttpStatus.NOT_FOUND } as const;

/** A model's serving state: 503 (retriable) while the first load runs, 404 for a model with no published run. */
export function servedModelState(serving: ServingState, sync: ServingStateSync, model: string): ReturnType<ServingState['require']> {
  if (!sync.ready && serving.get(model) === undefined) {
    throw new ServingStateNotReadyError('the serving state is still being built; retry shortly');
  }
  return serving.require(model);
}

interface LookupResponse {
  readonly predictions: ServedPrediction[];
}

interface RankingResponse {
  readonly predictions: ServedPrediction[];
  readonly nextCursor: string | null;
}

function rankingResponse(page: RankedPage): RankingResponse {
  return { predictions: page.predictions, nextCursor: page.next === null ? null : encodeRankCursor(page.next) };
}

/** A model's live feed as Server-Sent Events: `prediction` carries the merged prediction, `run` the new current run. */
export function liveMessages(feed: LiveFeed, model: string): Observable<MessageEvent> {
  return feed.stream(model).pipe(map((event) => ({ type: event.type, data: event.type === 'prediction' ? event.prediction : event })));
}

/**
 * Merged predictions from the serving state (in memory, or read from the store for a run over the
 * memory budget: a store outage is then a 503 with retry-after); every route needs a read key.
 */
@ApiTags('predictions')
@ApiSecurity('api-key')
@RequireScope('read')
@UseGuards(RateLimitGuard)
@UseFilters(new PlatformErrorFilter(QUERY_ERROR_STATUS))
@Controller('models/:model')
export class QueryController {
  constructor(
    @Inject(ServingState) private readonly serving: ServingState,
    @Inject(ServingStateSync) private readonly sync: ServingStateSync,
    @Inject(LiveFeed) private readonly feed: LiveFeed,
  ) {}

  @Get('predictions/:entityId')
  @ApiOperation({
    summary: "One entity's merged prediction with provenance",
    description:
      'The speed prediction when it is newer than the current run’s cut-off and of its model version, else the run’s ' +
      'batch prediction, else a cold-start fallback (the segment given by segment.<column> parameters, else the global default).',
  })
  @ApiParam({ name: 'model' })
  @ApiParam({ name: 'entityId', description: 'URL-encoded; at most 256 UTF-8 bytes' })
  @ApiQuery({ name: 'segment.<column>', required: false, description: 'segment attributes for cold start, e.g. segment.region=north' })
  @ApiOkResponse({ schema: SERVED_PREDICTION_SCHEMA })
  @RouteSchema(servedPredictionsResponse('one'))
  predict(
    @Param(new ZodValidationPipe(entityParams, 'path')) { model, entityId }: z.infer<typeof entityParams>,
    @Query(new ZodValidationPipe(segmentQuery, 'query')) segment: z.infer<typeof segmentQuery>,
  ): ServedPrediction | Promise<ServedPrediction> {
    return this.stateOf(model).answer(entityId, segment);
  }

  @Post('predictions/lookup')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Merged predictions of up to 10,000 entities, in the order asked',
    description: 'Unknown ids are answered by the cold-start fallback (source "fallback"); segments gives their attributes by id.',
  })
  @ApiParam({ name: 'model' })
  @ApiBody({ schema: z.toJSONSchema(lookupBody, { io: 'input' }) as object })
  @ApiOkResponse({ schema: { type: 'object', properties: { predictions: { type: 'array', items: SERVED_PREDICTION_SCHEMA } } } })
  @RouteSchema(servedPredictionsResponse('predictions'))
  lookup(
    @Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>,
    @Body(new ZodValidationPipe(lookupBody, 'body')) body: LookupBody,
  ): LookupResponse | Promise<LookupResponse> {
    // Synchronous for a model held in memory: no promise on the hot path.
    const predictions = this.stateOf(model).answerMany(body.ids, body.segments);
    return predictions instanceof Promise ? predictions.then((answers) => ({ predictions: answers })) : { predictions };
  }

  @Get('ranking')
  @ApiOperation({
    summary: 'Known entities ranked by merged score (first output), highest first, in pages',
    description: 'Pass nextCursor as after= for the next page; a cursor is a position in the order, so pages stay stable while answers change.',
  })
  @ApiParam({ name: 'model' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'after', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'source', required: false, enum: ['batch', 'speed'], description: 'only entities answered by this layer' })
  @ApiQuery({
    name: 'segment.<column>',
    required: false,
    description: "only entities whose run row is in this segment, e.g. segment.region=north (a column the run is not segmented by is a 400)",
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { predictions: { type: 'array', items: SERVED_PREDICTION_SCHEMA }, nextCursor: { type: 'string', nullable: true } },
    },
  })
  ranking(
    @Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>,
    @Query(new ZodValidationPipe(rankingQuery, 'query')) query: z.infer<typeof rankingQuery>,
  ): RankingResponse | Promise<RankingResponse> {
    const state = this.stateOf(model);
    const page = state.rankedPage(query.limit, query.after, query.source, SegmentFilter.of(state.fallback.segmentColumns, query.segment));
    return page instanceof Promise ? page.then(rankingResponse) : rankingResponse(page);
  }

  @Get('summary')
  @ApiOperation({ summary: 'The current run, counts by source, merged score distribution and freshness of both layers' })
  @ApiParam({ name: 'model' })
  summary(@Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>): ModelSummary | Promise<ModelSummary> {
    return this.stateOf(model).summary();
  }

  @Sse('live')
  @ApiOperation({
    summary: 'Server-Sent Events: merged updates of the model as they happen',
    description:
      'Event "prediction": an entity whose answer a speed row changed, with its new merged prediction. Event "run": a new ' +
      'current run was installed (publish or rollback); every answer may have changed. Streams end when the service shuts down.',
  })
  @ApiParam({ name: 'model' })
  live(@Param(new ZodValidationPipe(modelParams, 'path')) { model }: z.infer<typeof modelParams>): Observable<MessageEvent> {
    this.stateOf(model);
    return liveMessages(this.feed, model);
  }

  private stateOf(model: string): ReturnType<ServingState['require']> {
    return servedModelState(this.serving, this.sync, model);
  }
}
