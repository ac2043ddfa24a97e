import { describe, expect, it } from 'vitest';
import { parseStartPosition } from '../../src/kafka/index.ts';

describe('parseStartPosition', () => {
  it('reads beginning, end, offsets and ISO-8601 instants', () => {
    expect(parseStartPosition('beginning')).toEqual({ kind: 'beginning' });
    expect(parseStartPosition('end')).toEqual({ kind: 'end' });
    expect(parseStartPosition('0')).toEqual({ kind: 'offset', offset: 0 });
    expect(parseStartPosition('12345')).toEqual({ kind: 'offset', offset: 12345 });
    expect(parseStartPosition('2026-11-01T00:00:00Z')).toEqual({ kind: 'timestamp', ms: Date.UTC(2026, 10, 1) });
    expect(parseStartPosition('2026-11-01T01:00:00+01:00')).toEqual({ kind: 'timestamp', ms: Date.UTC(2026, 10, 1) });
  });

  it.each(['', 'yesterday', '-5', '1.5', '2026-13-45T00:00:00Z', '99999999999999999999'])('rejects %j', (text) => {
    expect(() => parseStartPosition(text)).toThrow(/must be beginning, end, an offset or an ISO-8601 timestamp/);
  });
});
