/**
 * Interop with pymodbus 3.16 (an encoder and a server nobody here wrote): test/peers/pymodbus_server.py
 * encodes known values of every data type and byte/word order with pymodbus's
 * `ModbusClientMixin.convert_to_registers`, serves them over Modbus TCP, and decodes our writes with
 * `convert_from_registers`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusDeviceClient } from '../src/client/modbus-client.js';
import type { ByteOrder, DataType, RegisterPoint, WordOrder } from '../src/codec/register-map.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const PYTHON = process.env.BUSBAR_PEERS_PYTHON ?? `${REPO}.venv/peers/bin/python`;
const SCRIPT = fileURLToPath(new URL('./peers/pymodbus_server.py', import.meta.url));

type NumType = Exclude<DataType, 'bit'>;
interface Case {
  name: string;
  dataType: NumType;
  byteOrder: ByteOrder;
  wordOrder: WordOrder;
  value: number;
}
const VALUES: Record<NumType, number[]> = {
  int16: [-12345, 32767],
  uint16: [54321],
  int32: [-123456789, 2147483647],
  uint32: [3000000000],
  float32: [-273.15, 1.5],
  float64: [6.02214076e23, -0.001],
};
const WIDTH: Record<NumType, number> = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4 };

function cases(): Case[] {
  const out: Case[] = [];
  for (const [dataType, values] of Object.entries(VALUES) as [NumType, number[]][]) {
    for (const byteOrder of ['big', 'little'] as const) {
      for (const wordOrder of WIDTH[dataType] === 1 ? (['big'] as const) : (['big', 'little'] as const)) {
        values.forEach((value, k) => out.push({ name: `${dataType}_b${byteOrder}_w${wordOrder}_${k}`, dataType, byteOrder, wordOrder, value }));
      }
    }
  }
  return out;
}
/** What the test expects after a float32 round trip (pymodbus packs with struct '>f'). */
const expected = (c: Case): number => (c.dataType === 'float32' ? Math.fround(c.value) : c.value);

const CASES = cases();
const COILS = [true, false, true, true, false, false, false, false, true, false, true, true, true, false, false, true, true];
const DISCRETE = [false, true, true, false, true, false, false, true, true];

// Layout: holding cases from 0 (packed), input cases from 0 too; writes at 200+.
function layout(): { holding: (Case & { address: number })[]; input: (Case & { address: number })[] } {
  let a = 0;
  const holding = CASES.map((c) => {
    const r = { ...c, address: a };
    a += WIDTH[c.dataType];
    return r;
  });
  let b = 0;
  const input = CASES.filter((c) => c.dataType === 'float32' || c.dataType === 'int16' || c.dataType === 'uint32').map((c) => {
    const r = { ...c, name: `in_${c.name}`, address: b };
    b += WIDTH[c.dataType];
    return r;
  });
  return { holding, input };
}

class Peer {
  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    private readonly pending: ((line: string) => void)[],
    readonly stderr: string[],
    public port = 0,
  ) {}
  static async start(load: unknown): Promise<Peer> {
    if (!existsSync(PYTHON)) {
      throw new Error(`Python peer interpreter not found at ${PYTHON}: run \`bash scripts/peers/setup-venv.sh\` (or set BUSBAR_PEERS_PYTHON)`);
    }
    const proc = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    proc.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    const lines = createInterface({ input: proc.stdout });
    const pending: ((line: string) => void)[] = [];
    lines.on('line', (l) => pending.shift()?.(l));
    const peer = new Peer(proc, lines, pending, stderr);
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`pymodbus peer exited (${code}): ${stderr.join('')}`))));
    proc.stdin.write(`${JSON.stringify(load)}\n`);
    const first = await Promise.race([peer.nextLine(), exited, timeout(20_000, `pymodbus peer did not start: ${stderr.join('')}`)]);
    peer.port = (JSON.parse(first) as { port: number }).port;
    return peer;
  }
  private nextLine(): Promise<string> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
  async ask<T>(cmd: object): Promise<T> {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    return JSON.parse(await Promise.race([this.nextLine(), timeout(10_000, 'pymodbus peer did not answer')])) as T;
  }
  async stop(): Promise<void> {
    this.proc.stdin.end();
    const done = new Promise((r) => this.proc.once('exit', r));
    await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    this.lines.close();
  }
}
function timeout(ms: number, msg: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(msg)), ms).unref());
}

describe('Drivers > Modbus > interop with pymodbus 3.16', () => {
  const { holding, input } = layout();
  let peer: Peer;
  let client: ModbusDeviceClient;
  const writes: RegisterPoint[] = [
    { name: 'w_float32_cdab_v', type: 'holding', address: 200, dataType: 'float32', wordOrder: 'little', writable: { min: -100, max: 100 } },
    { name: 'w_int32_badc', type: 'holding', address: 202, dataType: 'int32', byteOrder: 'little', writable: { min: -1e9, max: 1e9 } },
    { name: 'w_float64_dcba', type: 'holding', address: 204, dataType: 'float64', byteOrder: 'little', wordOrder: 'little', writable: { min: -1e6, max: 1e6 } },
    { name: 'w_uint16_scaled_a', type: 'holding', address: 208, dataType: 'uint16', scale: 0.01, writable: { min: 0, max: 600 } },
    { name: 'w_coil', type: 'coil', address: 100, dataType: 'bit', writable: { min: 0, max: 1 } },
  ];

  beforeAll(async () => {
    peer = await Peer.start({ holding, input, coils: COILS, discrete: DISCRETE });
    const points: RegisterPoint[] = [
      ...holding.map((c) => ({ name: c.name, type: 'holding' as const, address: c.address, dataType: c.dataType, byteOrder: c.byteOrder, wordOrder: c.wordOrder })),
      ...input.map((c) => ({ name: c.name, type: 'input' as const, address: c.address, dataType: c.dataType, byteOrder: c.byteOrder, wordOrder: c.wordOrder })),
      ...COILS.map((_, i) => ({ name: `coil_${i}`, type: 'coil' as const, address: i, dataType: 'bit' as const })),
      ...DISCRETE.map((_, i) => ({ name: `di_${i}`, type: 'discrete' as const, address: i, dataType: 'bit' as const })),
      ...writes,
    ];
    client = new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port: peer.port }, unitId: 1, timeoutMs: 2000, map: { points } });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await peer?.stop();
  });

  it('reads every data type × byte/word order encoded by pymodbus (holding and input registers)', async () => {
    const { values } = await client.readAll();
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    for (const c of holding) expect({ name: c.name, value: values[c.name] }).toEqual({ name: c.name, value: expected(c) });
    for (const c of input) expect({ name: c.name, value: values[c.name] }).toEqual({ name: c.name, value: expected(c) });
  });

  it('reads coils and discrete inputs packed by pymodbus (LSB first, more than one byte)', async () => {
    const { values } = await client.readAll();
    expect(COILS.map((_, i) => values[`coil_${i}`])).toEqual(COILS);
    expect(DISCRETE.map((_, i) => values[`di_${i}`])).toEqual(DISCRETE);
  });

  it('writes that pymodbus decodes to the same values, and that read back through our client', async () => {
    const sent: [string, number | boolean][] = [
      ['w_float32_cdab_v', -12.75],
      ['w_int32_badc', -123456789],
      ['w_float64_dcba', 4321.123456789],
      ['w_uint16_scaled_a', 123.45],
      ['w_coil', true],
    ];
    for (const [name, value] of sent) await client.write(name, value);
    for (const p of writes.filter((w) => w.type === 'holding')) {
      const got = await peer.ask<{ value: number; error?: string }>({ cmd: 'decode', address: p.address, dataType: p.dataType, byteOrder: p.byteOrder ?? 'big', wordOrder: p.wordOrder ?? 'big' });
      expect(got.error).toBeUndefined();
      const v = sent.find(([n]) => n === p.name)![1] as number;
      const raw = (v - (p.offset ?? 0)) / (p.scale ?? 1);
      expect({ name: p.name, raw: got.value }).toEqual({ name: p.name, raw: p.dataType === 'uint16' ? Math.round(raw) : raw });
    }
    expect(await peer.ask<{ value: boolean }>({ cmd: 'coil', address: 100 })).toEqual({ value: true });
    const { values } = await client.readAll();
    expect(values).toMatchObject({ w_float32_cdab_v: -12.75, w_int32_badc: -123456789, w_float64_dcba: 4321.123456789, w_uint16_scaled_a: 123.45, w_coil: true });
  });

  it('an address pymodbus does not hold → exception 2 from a third-party server', async () => {
    const c = new ModbusDeviceClient({ connection: { kind: 'tcp', host: '127.0.0.1', port: peer.port }, unitId: 1, timeoutMs: 2000, map: { points: [{ name: 'beyond', type: 'holding', address: 1000, dataType: 'uint16' }] } });
    try {
      await c.connect();
      await expect(c.readAll()).rejects.toMatchObject({ code: 'BB_MODBUS_EXCEPTION', functionCode: 3, address: 1000, exceptionCode: 2 });
    } finally {
      await c.close();
    }
  });
});
