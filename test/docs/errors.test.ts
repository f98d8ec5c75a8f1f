import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allCodes, renderErrorDocs } from '../support/error-docs.js';

describe('docs > error codes', () => {
  it('docs/errors.md matches the packages\' catalogues (regenerate with scripts/gen-error-docs.ts)', () => {
    const onDisk = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderErrorDocs());
  });

  it('every code has the BB_<AREA>_<REASON> form and belongs to one package only', () => {
    const codes = allCodes();
    expect(codes.filter((c) => !c.valid)).toEqual([]);
    const seen = new Map<string, string>();
    const dupes: string[] = [];
    for (const c of codes) {
      const other = seen.get(c.code);
      if (other && other !== c.pkg) dupes.push(`${c.code} in ${other} and ${c.pkg}`);
      seen.set(c.code, c.pkg);
    }
    expect(dupes).toEqual([]);
  });
});
