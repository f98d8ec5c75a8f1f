/**
 * Test helpers: load the pycti vectors (test/vectors/, copied unchanged from BattGenie/pycti
 * tests/example_messages) and parse their JSON without rounding the 64-bit header (JSON.parse source
 * text access: integers beyond 2^53 become bigint).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../vectors/', import.meta.url));

/** The bytes of `name`.bin. */
export function vectorBytes(name: string): Buffer {
  return readFileSync(`${dir}${name}.bin`);
}

type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;

/** The JSON of `name`.json, unsafe integers as bigint. */
export function vectorJson(name: string): Record<string, unknown> {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context.source !== undefined && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value;
  return JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8'), reviver as Parameters<typeof JSON.parse>[1]) as Record<string, unknown>;
}

/** A tiny independent frame builder (never the production encoder): token, length, code, 0, args, sum. */
export function buildFrame(direction: 'request' | 'feedback', code: number, args: number[] | Buffer): Buffer {
  const body = Buffer.from(args);
  const total = 20 + body.length + 2;
  const out = Buffer.alloc(total);
  Buffer.from('dddddddddddddd11', 'hex').copy(out, 0);
  out.writeUInt32LE(direction === 'request' ? total - 12 : total, 8);
  out.writeUInt32LE(code, 12);
  body.copy(out, 20);
  let sum = 0;
  for (let i = 0; i < total - 2; i++) sum += out[i] as number;
  out.writeUInt16LE(sum & 0xffff, total - 2);
  return out;
}
