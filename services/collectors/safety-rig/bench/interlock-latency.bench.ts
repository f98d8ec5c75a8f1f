/**
 * Interlock latency of the rig collector: from the CAN frame carrying a dangerous value arriving at
 * the collector (written by the socketcand server to the collector's TCP connection) to the PCS-off
 * write (FC 06, op mode = off) leaving the collector's serial port (its bytes read at the far end of the
 * pty pair). p50 / p99 / max over BENCH_TRIALS trials (≥ 200), first with Kafka up, then with Kafka
 * stopped (the records go to the store-and-forward buffer; the interlock never waits on Kafka).
 *
 * The whole collector runs (`startSafetyRigCollector`: supervision, store-and-forward, routed
 * commands) with a private Kafka (testkit). Peers, in this process: the socketcand server of
 * `@busbar/driver-can` with healthy BMU PDOs injected every 100 ms (node 1..2), a minimal Modbus RTU
 * responder for the PCS on a socat pty (answers FC 04 with zeros but a 378 V battery, echoes FC 06,
 * timestamps each frame), the sketch simulator on another pty. Between trials the latch is reset
 * through the rig's controller (what rig.reset_latch runs: with Kafka stopped no command can come).
 *
 * Run: npm run bench -w services/collectors/safety-rig   (BENCH_TRIALS=200)
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { parse as parseYaml, stringify } from 'yaml';
import { noopLogger, noopMetrics } from '@busbar/core';
import { openPtyPair, startSketchSimulator } from '@busbar/driver-arduino-io';
import { encodeFrame, parseDbc, startSocketcandServer } from '@busbar/driver-can';
import type { CanFrame } from '@busbar/driver-can';
import { rigControllerOf } from '@busbar/module-safety-rig';
import { startKafka } from '@busbar/testkit';
import { loadCollectorConfig, startSafetyRigCollector } from '../src/index.js';

const TRIALS = Math.max(200, Number(process.env.BENCH_TRIALS ?? 200));
const EXAMPLES = fileURLToPath(new URL('../../../../packages/modules/safety-rig/examples/', import.meta.url));
const OP_MODE = 41026;
const OFF = 0;

/** CRC-16/MODBUS (Modbus over Serial Line V1.02 §6.2.2). */
function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
const withCrc = (body: number[]): Buffer => {
  const crc = crc16(Uint8Array.from(body));
  return Buffer.from([...body, crc & 0xff, crc >> 8]);
};

/** A Modbus RTU slave (unit 2) good enough for the rig's PCS: FC 04 and FC 06 requests (8 bytes each). */
async function startPcsResponder(path: string, onWrite: (address: number, value: number, atMs: number) => void): Promise<{ close(): Promise<void> }> {
  const port = new SerialPort({ path, baudRate: 19200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let buf = Buffer.alloc(0);
  port.on('data', (chunk: Buffer) => {
    const at = performance.now();
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const frame = buf.subarray(0, 8);
      buf = buf.subarray(8);
      const [unit, fc] = [frame[0]!, frame[1]!];
      const address = frame.readUInt16BE(2);
      const n = frame.readUInt16BE(4);
      if (fc === 6) {
        onWrite(address, n, at);
        port.write(frame);
      } else if (fc === 4) {
        const regs = Array.from({ length: n }, (_, i) => (address + i === 30263 ? Math.round(378 * 32.767) : 0));
        port.write(withCrc([unit, fc, n * 2, ...regs.flatMap((r) => [r >> 8, r & 0xff])]));
      }
    }
  });
  return { close: () => new Promise((r) => port.close(() => r())) };
}

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `n=${s.length}  p50 ${q(0.5).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms  max ${s.at(-1)!.toFixed(2)} ms`;
}

const kafka = await startKafka();
const can = await startSocketcandServer({ rawModeSettleMs: 0 });
const pcsPty = await openPtyPair();
const ioPty = await openPtyPair();
let pendingOff: ((atMs: number) => void) | undefined;
const pcs = await startPcsResponder(pcsPty.a, (address, value, atMs) => {
  if (address === OP_MODE && value === OFF) pendingOff?.(atMs);
});
const sketch = await startSketchSimulator({ path: ioPty.a, intervalMs: 200, commandQuietMs: 20 });

const dir = mkdtempSync(join(tmpdir(), 'busbar-rig-bench-'));
copyFileSync(join(EXAMPLES, 'busbar_safety_rig_bmu.dbc'), join(dir, 'busbar_safety_rig_bmu.dbc'));
const dbc = parseDbc(readFileSync(join(dir, 'busbar_safety_rig_bmu.dbc'), 'utf8'));
const interlock = parseYaml(readFileSync(join(EXAMPLES, 'interlock.original.yaml'), 'utf8')) as { inputs: { bmu: { nodes: number[] } }; actions: { dangerous: { relayOpenDelayMs: number } } };
interlock.inputs.bmu.nodes = [1, 2];
interlock.actions.dangerous.relayOpenDelayMs = 0;
const { devices } = parseYaml(readFileSync(join(EXAMPLES, 'safety-rig-devices.yaml'), 'utf8')) as { devices: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const rig = devices[0]!;
Object.assign(rig, { id: 'rig-bench', pollIntervalMs: 500, interlock, schedules: {} });
delete rig.interlockFile;
rig.can = { ...rig.can, socketcand: { host: '127.0.0.1', port: can.port, bus: 'can0' } };
delete rig.can.syncPeriodMs;
rig.pcs = { ...rig.pcs, connection: { path: pcsPty.b, baudRate: 19200 } };
rig.arduino = { ...rig.arduino, path: ioPty.b, commandGapMs: 0 };
writeFileSync(join(dir, 'rig-devices.yaml'), stringify({ devices }));
writeFileSync(join(dir, 'collector.yaml'), `kafka: { brokers: ${JSON.stringify(kafka.brokers)} }\ninstanceId: bench\nbuffer: { path: ${JSON.stringify(join(dir, 'buffer.sqlite'))} }\ndevicesFile: rig-devices.yaml\n`);
const config = loadCollectorConfig(join(dir, 'collector.yaml'), {});
const device = config.devices[0]!;

// healthy PDOs of nodes 1 and 2 every 100 ms (what a BMS does), cells 1..14 at 3.3 V
const healthy: Record<string, number> = { CMA_Current: -10, CMA_Voltage: 47.2, Min_Cell_Voltage: 3.3, Max_Cell_Voltage: 3.4, CMA_Min_Temp: 24, CMA_Max_Temp: 26 };
for (let i = 1; i <= 14; i++) healthy[`Cell_${i}_Voltage`] = 3.3;
const pdo = (node: number, n: number, values: Record<string, number>): CanFrame => {
  const m = dbc.messageByName(`BMU${String(node).padStart(2, '0')}_pdo${n}`)!;
  return encodeFrame(dbc, m, Object.fromEntries(m.signals.map((s) => [s.name, values[s.name] ?? 0])));
};
const feed = setInterval(() => {
  for (const node of [1, 2]) for (const n of [1, 3, 4]) can.inject(pdo(node, n, healthy));
}, 100);

const collector = await startSafetyRigCollector(config, { logger: noopLogger, metrics: noopMetrics });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 100 && rigControllerOf(device)?.state !== 'normal'; i++) await sleep(100);
await sleep(1000);

async function trials(label: string): Promise<void> {
  const controller = rigControllerOf(device)!;
  const state = (): string => controller.state;
  const samples: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    if (state() !== 'normal') throw new Error(`trial ${t}: the rig is ${controller.state}, not normal`);
    const off = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`trial ${t}: no PCS-off write in 5 s`)), 5000);
      pendingOff = (at) => {
        clearTimeout(timer);
        pendingOff = undefined;
        resolve(at);
      };
    });
    const t0 = performance.now();
    can.inject(pdo(1, 3, { ...healthy, Cell_3_Voltage: 4.3 }));
    samples.push((await off) - t0);
    can.inject(pdo(1, 3, healthy));
    for (let i = 0; i < 100 && state() !== 'safe'; i++) await sleep(5);
    for (let i = 0; ; i++) {
      try {
        controller.reset(); // refused until the healthy frame is in
        break;
      } catch (err) {
        if (i >= 200) throw err;
        await sleep(10);
      }
    }
    await sleep(30 + Math.random() * 70); // spread the trials over the poll and PDO cycles
  }
  process.stdout.write(`${label.padEnd(14)} ${stats(samples)}\n`);
}

try {
  process.stdout.write(`rig interlock: dangerous cell-voltage frame at the collector → PCS-off FC 06 leaving its serial port (${TRIALS} trials each)\n`);
  await trials('Kafka up');
  await kafka.stop();
  await sleep(2000);
  await trials('Kafka stopped');
} finally {
  clearInterval(feed);
  // a collector stops cleanly with its broker there (its consumer group leaves, the buffer drains)
  if (!kafka.running()) await kafka.start();
  await Promise.race([collector.stop(), sleep(30_000)]);
  await Promise.allSettled([pcs.close(), sketch.close(), can.close()]);
  await Promise.allSettled([pcsPty.close(), ioPty.close(), kafka.dispose()]);
}
process.exit(0); // kafkajs may keep a retry timer of the stopped broker's time alive
