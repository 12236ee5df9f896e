import { describe, expect, it } from 'vitest';
import { toLogId } from '../src/index.ts';

describe('toLogId', () => {
  it.each([
    ['61924734', '61924734'],
    ['"abc-1"', 'abc-1'],
    ['{"logId": 42}', '42'],
    ['{"success": true, "data": {"logId": "q-7"}}', 'q-7'],
    ['{"success": true, "eventId": 61924734}', '61924734'],
  ])('finds the id in %s', (body, id) => {
    expect(toLogId(body)).toBe(id);
  });

  it.each(['', '   ', '{}', '{"success": true}', '[1,2]', '<html>ok</html>', 'null'])(
    'accepts %j without an id',
    (body) => {
      expect(toLogId(body)).toBeUndefined();
    },
  );
});
