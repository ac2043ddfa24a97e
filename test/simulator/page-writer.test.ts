import { describe, expect, it } from 'vitest';
import { PageWriter } from '../../simulator/page-writer.ts';

describe('PageWriter', () => {
  it('writes integers in decimal exactly as String() does', () => {
    const values = [
      0,
      7,
      9,
      10,
      11,
      99,
      100,
      101,
      999_999,
      1_000_000,
      2 ** 31 - 1,
      2 ** 31,
      2_000_000_123,
      2 ** 53 - 1,
    ];
    const out = new PageWriter('[');
    for (const v of values) {
      out.int(v);
      out.ascii(',');
    }
    expect(out.finish().toString('latin1')).toBe(`[${values.join(',')},`);
  });

  it('writes short and long ASCII, UTF-8 text and bytes in order, growing past its first buffer', () => {
    const long = 'x'.repeat(100);
    const out = new PageWriter('{');
    let expected = '{';
    for (let i = 0; i < 5_000; i++) {
      out.ascii('"k":');
      out.ascii(long);
      out.write('é€');
      out.bytes(Buffer.from('😀', 'utf8'));
      expected += `"k":${long}é€😀`;
    }
    expect(out.finish().length).toBeGreaterThan(256 * 1024);
    expect(out.finish().toString('utf8')).toBe(expected);
  });
});
