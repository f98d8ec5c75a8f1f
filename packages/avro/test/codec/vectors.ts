/** Parser of Apache Avro's schema-tests.txt (format described in test/vectors/README.md). */
import { readFileSync } from 'node:fs';

export interface SchemaVector {
  /** Case number from the preceding `// NNN` comment. */
  readonly id: string;
  readonly input: string;
  readonly canonical: string;
  /** Signed 64-bit decimal as printed by Java, when given. */
  readonly fingerprint: bigint | undefined;
}

export function loadSchemaVectors(): SchemaVector[] {
  const lines = readFileSync(new URL('../vectors/schema-tests.txt', import.meta.url), 'utf8').split('\n');
  const out: { id: string; input: string; canonical?: string; fingerprint?: bigint }[] = [];
  let id = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const idMatch = /^\/\/ (\d{3})\s*$/.exec(line);
    if (idMatch) id = idMatch[1] ?? '';
    if (line.startsWith('<<INPUT')) {
      const rest = line.slice('<<INPUT'.length).trim();
      if (rest !== '') out.push({ id, input: rest });
      else {
        const body: string[] = [];
        for (i++; lines[i] !== 'INPUT'; i++) {
          if (i >= lines.length) throw new Error(`unterminated INPUT in case ${id}`);
          body.push(lines[i] ?? '');
        }
        out.push({ id, input: body.join('\n') });
      }
    } else if (line.startsWith('<<canonical')) {
      const last = out.at(-1);
      if (last) last.canonical = line.slice('<<canonical'.length).trim();
    } else if (line.startsWith('<<fingerprint')) {
      const last = out.at(-1);
      if (last) last.fingerprint = BigInt(line.slice('<<fingerprint'.length).trim());
    }
  }
  return out.map((c) => {
    if (c.canonical === undefined) throw new Error(`case ${c.id} without canonical form`);
    return { id: c.id, input: c.input, canonical: c.canonical, fingerprint: c.fingerprint };
  });
}
