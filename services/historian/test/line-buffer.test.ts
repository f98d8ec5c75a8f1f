import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineChunker } from '../src/line-buffer.js';

describe('historian > line buffer', () => {
  it('cuts lines into chunks of at most N lines whose bytes are the lines joined by newlines (random lines, tiny first buffer)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', ' ', '"', '\n', 'é', '→', '😀'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (lines, n) => {
        const c = new LineChunker(n, 8);
        for (const l of lines) c.append(l);
        expect(c.bytes).toBe(lines.reduce((s, l) => s + Buffer.byteLength(l) + 1, 0));
        const chunks = c.finish();
        expect(chunks.length).toBe(Math.ceil(lines.length / n));
        chunks.forEach((ch, k) => {
          const mine = lines.slice(k * n, (k + 1) * n);
          expect(ch.count).toBe(mine.length);
          expect(ch.bytes.toString('utf8')).toBe(mine.map((l) => `${l}\n`).join(''));
          mine.forEach((l, i) => expect(ch.line(i)).toBe(l));
        });
        expect(c.finish()).toEqual([]);
      }),
    );
  });

  it('slices a chunk into halves that share its bytes (how a refused request is split)', () => {
    const c = new LineChunker(10);
    for (const l of ['m v=1 1', 'm s="a\nb" 2', 'm v=3 3', 'µ v=4 4']) c.append(l);
    const [chunk] = c.finish();
    const [a, b] = [chunk!.slice(0, 2), chunk!.slice(2, 4)];
    expect(a.bytes.toString()).toBe('m v=1 1\nm s="a\nb" 2\n');
    expect(b.bytes.toString()).toBe('m v=3 3\nµ v=4 4\n');
    expect([b.count, b.line(1)]).toEqual([2, 'µ v=4 4']);
    expect(b.slice(1, 2).line(0)).toBe('µ v=4 4');
  });
});
