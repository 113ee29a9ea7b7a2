import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { type z } from 'zod';

/**
 * Validates one handler argument (params, query or body) with a zod schema; a 400 names each bad
 * field and what was expected, so a client can fix the request without reading the code.
 */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly part: 'path' | 'query' | 'body',
  ) {}

  transform(value: unknown): z.output<Schema> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const problems = result.error.issues.flatMap((issue) =>
      // An unexpected field is named by its own path, not its parent's.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${[this.part, ...issue.path, key].join('.')}: not an accepted field`)
        : [`${[this.part, ...issue.path].join('.')}: ${issue.message}`],
    );
    throw new BadRequestException(`invalid request: ${problems.join('; ')}`);
  }
}
