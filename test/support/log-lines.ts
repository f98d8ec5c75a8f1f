/**
 * Test support: checks of service log files (JSON lines, one object per line, as
 * `@busbar/runtime`'s logger writes them).
 */

/**
 * The top-level keys of one JSON object text, in order and with duplicates (`JSON.parse` keeps the
 * last value of a repeated key and so hides the repetition).
 * @throws {SyntaxError} when `line` is not a JSON object.
 */
export function topLevelKeys(line: string): string[] {
  JSON.parse(line); // valid JSON first: the scan below assumes it
  if (!line.trimStart().startsWith('{')) throw new SyntaxError('not a JSON object');
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      let k = j + 1;
      while (line[k] === ' ' || line[k] === '\t') k++;
      if (depth === 1 && line[k] === ':') keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return keys;
}

/** What is wrong with one log line: not JSON, no string level, repeated keys; `undefined` when it is clean. */
export function logLineProblem(line: string): string | undefined {
  let rec: unknown;
  let keys: string[];
  try {
    rec = JSON.parse(line);
    keys = topLevelKeys(line);
  } catch {
    return 'not a JSON object';
  }
  const level = (rec as { level?: unknown }).level;
  if (typeof level !== 'string' || !['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(level)) return `level is ${JSON.stringify(level)}, not a level name`;
  const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (repeated.length > 0) return `repeated keys: ${[...new Set(repeated)].join(', ')}`;
  if (keys.includes('deviceId') && keys.includes('device')) return 'both deviceId and device';
  return undefined;
}
