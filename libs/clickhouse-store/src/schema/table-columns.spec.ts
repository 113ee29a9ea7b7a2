import { columnsOf } from './table-columns';

describe('columnsOf', () => {
  it('picks columns in the order asked and refuses a name the table lacks', () => {
    expect(columnsOf('batch_predictions', ['scored_at', 'entity_id'])).toEqual([
      { name: 'scored_at', type: 'UInt64' },
      { name: 'entity_id', type: 'String' },
    ]);
    expect(() => columnsOf('batch_predictions', ['nope' as 'entity_id'])).toThrow('batch_predictions has no column nope');
  });
});
