/**
 * `busbar schema [name]`: the Avro schemas Busbar writes, each with its single-object header as
 * the bytes appear on the wire (`C3 01` + the CRC-64-AVRO fingerprint, little-endian) — the
 * fingerprint is also shown as a number, marked as such — and the earlier versions consumers still
 * read. With a name, the schema's JSON follows.
 */
import { readingSerde } from '@busbar/avro';
import type { CliIo } from './io.js';
import { EXIT } from './io.js';

/** Lower-case hex bytes separated by spaces, in the given order. */
export function wireBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

function header(fp: bigint): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 0xc3;
  b[1] = 0x01;
  b.writeBigUInt64LE(fp, 2);
  return b;
}

/**
 * Prints every current schema (or the one named: `Command`, `command`, `command.avsc` or
 * `io.busbar.v1.Command`) with its wire header; `json` prints one JSON object per schema instead.
 *
 * @returns {@link EXIT}.ok, or {@link EXIT}.usage for an unknown name.
 */
export function printSchemas(name: string | undefined, json: boolean, io: CliIo): number {
  const catalog = readingSerde.catalog();
  const all = [...catalog.currentSchemas()].sort((a, b) => a.fullName.localeCompare(b.fullName));
  const wanted = name?.toLowerCase().replace(/\.avsc$/, '').replace(/^io\.busbar\.v1\./, '').replace(/[-_]/g, '');
  const chosen = wanted === undefined ? all : all.filter((s) => s.fullName.toLowerCase().endsWith(`.${wanted}`));
  if (chosen.length === 0) {
    io.err(`busbar: no schema named ${name ?? ''}; known: ${all.map((s) => s.fullName.replace('io.busbar.v1.', '')).join(', ')}`);
    return EXIT.usage;
  }
  for (const s of chosen) {
    const history = catalog.writerSchemas().filter((w) => w.fullName === s.fullName && w.fingerprint !== s.fingerprint);
    const row = {
      name: s.fullName,
      file: s.file,
      header: wireBytes(s.header),
      fingerprint: `0x${s.fingerprint.toString(16).padStart(16, '0')}`,
      earlier: history.map((w) => ({ files: w.files, header: wireBytes(header(w.fingerprint)) })),
    };
    if (json) {
      io.out(JSON.stringify(name === undefined ? row : { ...row, schema: s.json }));
      continue;
    }
    io.out(`${s.fullName} (${s.file})`);
    io.out(`  header on the wire:  ${row.header}   (C3 01, then the fingerprint's 8 bytes in wire order)`);
    io.out(`  fingerprint number:  ${row.fingerprint}   (CRC-64-AVRO; written little-endian, so its bytes appear reversed)`);
    for (const e of row.earlier) io.out(`  earlier version:     ${e.header}   (${e.files.join(', ')}; still read)`);
    if (name !== undefined) io.out(JSON.stringify(s.json, null, 2));
  }
  return EXIT.ok;
}
