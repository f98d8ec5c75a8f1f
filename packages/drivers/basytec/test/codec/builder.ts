/**
 * Test-only Resultfile builder: writes preamble, header and rows as bytes, independently of the
 * simulator's writer (the production writer is never its own oracle, STYLE.md §3).
 */
export interface BuildOptions {
  readonly sep?: '\t' | ' ';
  readonly eol?: '\n' | '\r\n';
  readonly encoding?: 'latin1' | 'utf8';
  readonly start?: string;
  readonly preamble?: readonly string[];
}

/** Builds a Resultfile from a header (array of names) and rows (arrays of field texts). */
export function buildResultfile(header: readonly string[], rows: readonly (readonly string[])[], o: BuildOptions = {}): Buffer {
  const sep = o.sep ?? '\t';
  const eol = o.eol ?? '\n';
  const pre = o.preamble ?? [
    '~Resultfile from Basytec Battery Test System',
    '~Date and Time of Data Converting: 01.01.2025 12:00:00',
    '~',
    '~Name of Test: t1',
    '~Battery: b1',
    '~Testplan: p.pln',
    '~Testchannel: 0101 CH01 CTS',
    `~Start of Test: ${o.start ?? '01.01.2025 10:00:00'}`,
    '~End of Test: 01.01.2025 11:00:00',
    '~Operator (Test): lab',
    '~Operator (Data converting): lab',
    '~',
  ];
  const text = [...pre, `~${header.join(sep)}`, ...rows.map((r) => r.join(sep))].join(eol) + eol;
  return Buffer.from(text, o.encoding ?? 'latin1');
}
