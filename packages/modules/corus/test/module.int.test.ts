/**
 * The Corus module against the driver's simulator (a Corus per itron-corus reference README §13),
 * as the collector runtime drives it: `open` signs on once and reports the loss, `poll` +
 * `toRecords` give one Reading with the device's exact values, and the log backfill job publishes
 * through `publishAcknowledged` and moves its cursor only when that resolved. The runtime and Kafka
 * are not here (collector-kit's and the e2e tests have them): the acknowledgement is the test's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceEventInput, ReadingInput } from '@busbar/avro';
import { noopLogger, noopMetrics } from '@busbar/core';
import { EXAMPLE_CORUS_MAP, startCorusSimulator } from '@busbar/driver-itron-corus';
import type { CorusSimulator, ExactDecimal } from '@busbar/driver-itron-corus';
import type { JobContext } from '@busbar/protocol';
import { corusDevicesSchema, resolveCorusDevices } from '../src/device-config.js';
import type { ResolvedCorusDevice } from '../src/device-config.js';
import { createCorusModule } from '../src/module.js';
import type { CorusDeviceSession } from '../src/session.js';

const ctx = { logger: noopLogger, metrics: noopMetrics };
const cleanup: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c.close();
});

async function setup(historyRecords = 12, extra: Record<string, unknown> = {}): Promise<{ sim: CorusSimulator; device: ResolvedCorusDevice; session: CorusDeviceSession; stateDir: string }> {
  const sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords, seed: 5 });
  cleanup.push(sim);
  const [device] = resolveCorusDevices(corusDevicesSchema.parse([{ id: 'corus-1', connection: { kind: 'tcp', host: sim.host, port: sim.port }, map: EXAMPLE_CORUS_MAP, logChunkS: 3600, logs: { lookbackS: 86_400, rescanS: 0 }, ...extra }]), '.');
  const session = await createCorusModule().open(device!, ctx);
  cleanup.push(session);
  return { sim, device: device!, session, stateDir: mkdtempSync(join(tmpdir(), 'corus-module-')) };
}

/** A job context whose acknowledgement the test decides. */
function jobContext(ack: (r: readonly ReadingInput[]) => Promise<void>): JobContext & { sequence: number } {
  const c = { sequence: 0, signal: new AbortController().signal, publishAcknowledged: ack, publishEvents: async () => undefined, nextSequence: () => ++c.sequence };
  return c;
}

describe('modules > corus > module on the simulator', () => {
  it('open signs on once; poll → one Reading with the device\'s exact decimals; a lost link settles lost', async () => {
    const { sim, device, session } = await setup();
    const module = createCorusModule();
    const raw = await module.poll(session, device);
    const { readings } = module.toRecords(device, raw, { atMs: Date.UTC(2024, 0, 1), nextSequence: () => 7, state: undefined });
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({ device_id: 'corus-1', protocol: 'itron-corus', channel: null, values: {}, quality: 'GOOD', sequence: 7 });
    expect(readings[0]!.exact_values?.volume_converted_m3).toBe((sim.parameter('volume_converted_m3') as ExactDecimal).toString());
    expect(sim.stats.connections).toBe(1);
    sim.setFaults([{ on: 'read', kind: 'disconnect' }]);
    await expect(module.poll(session, device)).rejects.toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED' });
    await expect(session.lost).resolves.toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED' });
    expect(sim.stats.connections).toBe(1); // never reconnected by the module
  });

  it('the device file\'s link options reach the wire: the option select echoes the offered Z by default, a configured Z is sent as given (reference §2.2)', async () => {
    const { sim } = await setup();
    expect(Buffer.from(sim.lastOptionSelect()!).toString('latin1')).toBe('\x06056\r\n'); // /SIM5CORUS: Z '5' echoed
    const { sim: sim7 } = await setup(12, { link: { optionSelect: { z: '7' }, timeouts: { answerSettleMs: 10 } } });
    expect(Buffer.from(sim7.lastOptionSelect()!).toString('latin1')).toBe('\x06076\r\n');
    expect(() => corusDevicesSchema.parse([{ id: 'x', connection: { kind: 'tcp', host: '127.0.0.1', port: 1 }, map: EXAMPLE_CORUS_MAP, link: { wakeupByte: 3 } }])).toThrow(/wakeupByte/);
  });

  it('open fails with the driver\'s code when the device is not there', async () => {
    const [device] = resolveCorusDevices(corusDevicesSchema.parse([{ id: 'gone', connection: { kind: 'tcp', host: '127.0.0.1', port: 1, connectTimeoutMs: 500 }, map: EXAMPLE_CORUS_MAP }]), '.');
    await expect(createCorusModule().open(device!, ctx)).rejects.toMatchObject({ code: 'BB_CORUS_CONNECT_FAILED', outcome: 'not_sent' });
  });

  it('the backfill job publishes every record once through publishAcknowledged, its cursor written after the acknowledgement; a refused acknowledgement leaves the cursor', async () => {
    const { sim, device, session, stateDir } = await setup(12);
    const job = createCorusModule({ stateDir }).job!(device, ctx)!;
    expect(job.name).toBe('log-backfill');
    expect(job.intervalMs).toBe(60_000);
    await job.prepare!();
    const published: ReadingInput[] = [];
    let refuse = true;
    const c = jobContext(async (r) => {
      if (refuse) {
        refuse = false;
        throw new Error('not acknowledged');
      }
      published.push(...r);
    });
    await expect(job.run(session, c)).rejects.toThrow('not acknowledged');
    expect(() => readFileSync(join(stateDir, 'corus-1.json'), 'utf8')).toThrow(/ENOENT/); // nothing acknowledged, no cursor
    await job.run(session, c);
    const expected = sim.logRecords('interval').map((r) => r.endDate).reverse();
    expect(published.map((r) => r.states?.device_time)).toEqual(expected);
    expect(published.every((r) => r.states?.log === 'interval')).toBe(true);
    expect(JSON.parse(readFileSync(join(stateDir, 'corus-1.json'), 'utf8')).logs.interval.lastRecordDeviceTime).toBe(expected.at(-1));
  });

  it('the job on a device whose clock is set back: the re-logged records flagged relogged, a FAULT event through publishEvents', async () => {
    const { sim, device, session, stateDir } = await setup(9);
    const job = createCorusModule({ stateDir }).job!(device, ctx)!;
    const published: ReadingInput[] = [];
    const events: DeviceEventInput[] = [];
    const c = { ...jobContext(async (r) => void published.push(...r)), publishEvents: async (e: readonly DeviceEventInput[]) => void events.push(...e) };
    await job.run(session, c); // 10:00 … 12:00 (the simulator's clock starts at 12:00)
    sim.setBackClock(3600); // 12:00 → 11:00
    await job.run(session, c); // the clock parameter is behind the cursor: reported, nothing to publish yet
    sim.advance(1800); // 11:00 → 11:30: 11:15 and 11:30 logged again
    await job.run(session, c);
    expect(published.slice(9).map((r) => [r.states?.device_time, r.states?.relogged])).toEqual([['2020-10-07T11:15:00', 'true'], ['2020-10-07T11:30:00', 'true']]);
    expect(events.map((e) => [e.kind, e.error_code, e.reason])).toEqual([
      ['FAULT', 'BB_CORUS_CLOCK_SET_BACK', 'clock set back: the device clock reads 2020-10-07T11:00:00, 1 h before the last published record (2020-10-07T12:00:00); records it logs again will be published and flagged'],
      ['FAULT', 'BB_CORUS_CLOCK_SET_BACK', 'clock set back by 1 h (device time 2020-10-07T12:00:00 → 2020-10-07T11:15:00), 2 records re-logged'],
    ]);
  });

  it('the job refuses to prepare on a corrupt cursor file; no job without a state directory or without logs', async () => {
    const { device, stateDir } = await setup(0);
    writeFileSync(join(stateDir, 'corus-1.json'), '{ not json');
    await expect(createCorusModule({ stateDir }).job!(device, ctx)!.prepare!()).rejects.toMatchObject({ code: 'BB_CORUS_COLLECTOR_STATE_INVALID' });
    expect(createCorusModule().job!(device, ctx)).toBeUndefined();
    expect(createCorusModule({ stateDir }).job!({ ...device, logNames: [] }, ctx)).toBeUndefined();
  });

  it('the job\'s --test sample is the newest four interval records, without a cursor', async () => {
    const { sim, device, session, stateDir } = await setup(10);
    const sample = await createCorusModule({ stateDir }).job!(device, ctx)!.sample!(session, { nextSequence: () => 1 });
    expect(sample.map((r) => r.states?.device_time)).toEqual(sim.logRecords('interval').slice(0, 4).map((r) => r.endDate).reverse());
    expect(() => readFileSync(join(stateDir, 'corus-1.json'), 'utf8')).toThrow(/ENOENT/);
  });
});
