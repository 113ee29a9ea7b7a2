import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof BadRequestException) return error.message;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('ZodValidationPipe', () => {
  const pipe = new ZodValidationPipe(z.strictObject({ ids: z.array(z.string().min(1)), nested: z.strictObject({ a: z.string() }).optional() }), 'body');

  it('names each bad field by its path, array indexes included', () => {
    expect(messageOf(() => pipe.transform({ ids: ['x', ''] }))).toMatch(/^invalid request: body\.ids\.1: /);
  });

  it('names unexpected fields themselves, at any depth', () => {
    expect(messageOf(() => pipe.transform({ ids: [], order: 1, limit: 2 }))).toBe(
      'invalid request: body.order: not an accepted field; body.limit: not an accepted field',
    );
    expect(messageOf(() => pipe.transform({ ids: [], nested: { a: 'x', b: 1 } }))).toBe('invalid request: body.nested.b: not an accepted field');
  });
});
