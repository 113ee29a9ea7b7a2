import { InvalidInputError } from '@platform/domain';
import { classifyStoreError } from './classify-store-error';
import { StoreQueryError, StoreUnavailableError } from './store-errors';

const context = { operation: 'insert into speed_predictions', engine: 'server' } as const;

describe('classifyStoreError', () => {
  it('reads the code of @clickhouse/client errors and of chDB errors', () => {
    const clientError = Object.assign(new Error('Table x does not exist'), { code: '60', type: 'UNKNOWN_TABLE' });
    const chdbError = Object.assign(new Error('DB::Exception: too many parts'), { clickhouseCode: 252 });
    expect(classifyStoreError(clientError, context)).toMatchObject({ clickhouseCode: 60, retriable: false });
    expect(classifyStoreError(chdbError, context)).toBeInstanceOf(StoreUnavailableError);
  });

  it('reads the code from an 18.16 message when no field carries it', () => {
    const error = new Error('Code: 202, e.displayText() = DB::Exception: Too many simultaneous queries');
    expect(classifyStoreError(error, context)).toMatchObject({ clickhouseCode: 202, retriable: true });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])('treats %s as retriable', (code) => {
    const error = Object.assign(new Error(`connect ${code}`), { code });
    expect(classifyStoreError(error, context)).toBeInstanceOf(StoreUnavailableError);
  });

  it('looks through a cause chain and at client timeouts', () => {
    const cause = Object.assign(new Error('socket'), { code: 'ECONNRESET' });
    expect(classifyStoreError(new Error('request failed', { cause }), context).retriable).toBe(true);
    expect(classifyStoreError(new Error('Timeout error.'), context).retriable).toBe(true);
  });

  it('treats an unknown failure as not retriable, keeping the cause and the context', () => {
    const original = new Error('Cannot parse input: expected , before: x\nline 2');
    const classified = classifyStoreError(original, context);
    expect(classified).toBeInstanceOf(StoreQueryError);
    expect(classified.message).toBe(
      'insert into speed_predictions failed on server: Cannot parse input: expected , before: x',
    );
    expect(classified.cause).toBe(original);
  });

  it('passes platform errors through unchanged', () => {
    const error = new InvalidInputError('bad id');
    expect(classifyStoreError(error, context)).toBe(error);
  });
});
