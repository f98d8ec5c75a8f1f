/**
 * Throughput of the pure codec: planReads over a large map, and decodeBlock over its blocks.
 * Prints figures; asserts nothing. Run: `npm run bench -w packages/drivers/modbus`.
 */
import { performance } from 'node:perf_hooks';
import { parseRegisterMap } from '../src/index.js';
import { decodeBlock } from '../src/codec/values.js';
import { planReads } from '../src/codec/read-plan.js';
import type { DataType } from '../src/codec/register-map.js';

const TYPES: Exclude<DataType, 'bit'>[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];
const WIDTH = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4 } as const;

function buildMap(n: number): ReturnType<typeof parseRegisterMap> {
  const points: object[] = [];
  let address = 0;
  for (let i = 0; i < n; i++) {
    const dataType = TYPES[i % TYPES.length]!;
    points.push({ name: `p${i}`, type: i % 2 === 0 ? 'holding' : 'input', address, dataType, scale: 0.1, wordOrder: WIDTH[dataType] > 1 && i % 3 === 0 ? 'little' : 'big' });
    if (i % 2 === 1) address += 4; // both tables use the same addresses, one point each per 4 registers
  }
  for (let i = 0; i < n / 4; i++) points.push({ name: `c${i}`, type: 'coil', address: i, dataType: 'bit' });
  return parseRegisterMap({ points });
}

function time(label: string, iterations: number, unitsPerIteration: number, unit: string, fn: () => void): void {
  for (let i = 0; i < Math.min(50, iterations); i++) fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ms = performance.now() - t0;
  const perS = (iterations * unitsPerIteration) / (ms / 1000);
  console.log(`${label.padEnd(34)} ${iterations} × ${unitsPerIteration} ${unit} in ${ms.toFixed(1)} ms → ${Math.round(perS).toLocaleString('en-US')} ${unit}/s`);
}

for (const n of [100, 1000, 10000]) {
  const map = buildMap(n);
  const blocks = planReads(map);
  const data = blocks.map((b) => (b.type === 'coil' || b.type === 'discrete' ? Array.from({ length: b.count }, (_, i) => i % 3 === 0) : Array.from({ length: b.count }, (_, i) => (i * 7919) & 0xffff)));
  console.log(`map of ${map.points.length} points → ${blocks.length} read blocks`);
  time(`  planReads (${map.points.length} points)`, Math.max(5, Math.round(200_000 / map.points.length)), map.points.length, 'points', () => planReads(map));
  time(`  decodeBlock (${map.points.length} points)`, Math.max(5, Math.round(2_000_000 / map.points.length)), map.points.length, 'points', () => {
    for (let k = 0; k < blocks.length; k++) decodeBlock(blocks[k]!, data[k]!);
  });
}
