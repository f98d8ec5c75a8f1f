/**
 * Latency of the rig PCS requests over Modbus RTU: our client against the pymodbus 3.16 RTU server
 * (test/peers/pymodbus_rtu_pcs.py) on a socat pty pair at 19200 baud. A pty does not pace bytes at the
 * baud rate, so these are software figures (client + modbus-serial + pty + pymodbus); a real RS-485
 * line adds the frame time (an FC 06 request and its echo, 8 + 8 bytes at 19200 8N1: about 8.3 ms) and
 * the adapter's latency. Prints p50/p99; asserts nothing. Needs socat and the peers venv.
 * Run: `npm run bench -w packages/drivers/modbus`.
 */
import { performance } from 'node:perf_hooks';
import { ModbusDeviceClient, buildPcsMap } from '../src/index.js';
import { PymodbusRtuPeer } from '../test/helpers/pymodbus-rtu-peer.js';
import { openPtyPair } from '../test/helpers/pty-pair.js';

const TRIALS = 200;
const pcs = buildPcsMap({
  settingsAddressing: 'xlsx',
  opModeCodes: { off: 0, current: 2, power: 1, voltage: 4 },
  dcCurrentCountsPerA: 52.094,
  limits: { batteryMaxVoltageV: { min: 264, max: 400 }, batteryMinVoltageV: { min: 250, max: 400 } },
});

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(label: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} ${TRIALS} trials: p50 ${pct(ms, 50).toFixed(2)} ms, p99 ${pct(ms, 99).toFixed(2)} ms, max ${ms[ms.length - 1]!.toFixed(2)} ms`);
}

const pty = await openPtyPair();
const peer = await PymodbusRtuPeer.start({ port: pty.a, unit: 2, baudrate: 19200, input: [], holding: [] });
const client = new ModbusDeviceClient({
  connection: { kind: 'rtu', path: pty.b, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 },
  unitId: 2,
  map: pcs.map,
  plan: pcs.plan,
  timeoutMs: 1000,
});
try {
  await client.connect();
  for (let i = 0; ; i++) {
    try {
      await client.readAll();
      break;
    } catch (e) {
      if (i > 50) throw e;
    }
  }
  await measure('FC 06 op_mode = off (PCS-off write)', () => client.write('op_mode', 0));
  await measure('FC 06 heartbeat_timeout_s = 5', () => client.write('heartbeat_timeout_s', 5));
  await measure('readAll: FC 04 ×2 (25 registers)', () => client.readAll());
} finally {
  await client.close();
  await peer.stop();
  await pty.close();
}
