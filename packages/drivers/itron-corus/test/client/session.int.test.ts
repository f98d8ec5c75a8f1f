import { afterEach, describe, expect, it } from 'vitest';
import { CorusSession, type CorusSessionOptions, type LogRecord } from '../../src/client/session.js';
import { tcpTransport } from '../../src/client/transport.js';
import { ExactDecimal } from '../../src/codec/exact-decimal.js';
import { formatCorusDateTime, isCorusDateTime } from '../../src/codec/data-classes.js';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';
import { startCorusSimulator, type CorusFault, type CorusSimulator, type CorusSimulatorOptions } from '../../src/simulator/simulator.js';

let sim: CorusSimulator | undefined;
let session: CorusSession | undefined;
afterEach(async () => {
  await session?.close();
  await sim?.close();
  session = undefined;
  sim = undefined;
});

async function setup(simOpts: Partial<CorusSimulatorOptions> = {}, sessionOpts: Partial<CorusSessionOptions> = {}): Promise<{ sim: CorusSimulator; session: CorusSession }> {
  sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, seed: 42, ...simOpts });
  session = new CorusSession({
    transport: tcpTransport({ host: sim.host, port: sim.port }),
    map: EXAMPLE_CORUS_MAP,
    timeouts: { wakeupMs: 500, responseMs: 500, databaseFrameMs: 500, writeAckMs: 500, passwordMs: 500, identificationMs: 500 },
    wakeupRetryDelayMs: 10,
    keepAliveIntervalMs: 0,
    ...sessionOpts,
  });
  return { sim, session };
}

const T = (s: string): Date => new Date(`${s}Z`);

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('Client > CorusSession against the simulator', () => {
  it('reads parameters by name: exact values equal what the simulator holds, units from the map', async () => {
    const { sim, session } = await setup();
    const names = ['volume_unconverted_m3', 'volume_converted_m3', 'pulse_weight_m3', 'pressure_bar', 'parameter_map', 'clock', 'display_contrast'];
    const r = await session.readParameters(names);
    for (const n of ['volume_unconverted_m3', 'volume_converted_m3', 'pulse_weight_m3', 'pressure_bar', 'display_contrast']) {
      expect((r[n] as ExactDecimal).toString(), n).toBe((sim.parameter(n) as ExactDecimal).toString());
    }
    expect(r.pulse_weight_m3?.toString()).toBe('0.1');
    expect(r.parameter_map).toBe('FL_b0040');
    expect(r.clock).toEqual(T('2020-10-07T12:00:00'));
    expect(session.unitOf('volume_converted_m3')).toBe('m3');
    expect(await session.readMapName()).toBe('FL_b0040');
  });

  it('refuses a device with another map (BB_CORUS_MAP_MISMATCH, not retried, nothing written): the session is over', async () => {
    const { sim, session } = await setup({ values: { parameter_map: 'FL_c0101' } });
    await expect(session.open()).rejects.toMatchObject({ code: 'BB_CORUS_MAP_MISMATCH', retriable: false, outcome: 'not_sent' });
    await expect(session.lost).resolves.toMatchObject({ code: 'BB_CORUS_MAP_MISMATCH' });
    await expect(session.writeParameters([{ name: 'display_contrast', value: 3 }])).rejects.toMatchObject({ code: 'BB_CORUS_SESSION_CLOSED', outcome: 'not_sent' });
    expect(sim.stats.writes).toBe(0);
    expect(sim.stats.connections).toBe(1); // never re-opened by the session
  });

  it('open() connects and signs on once; later operations use that link', async () => {
    const { sim, session } = await setup();
    const connected: unknown[] = [];
    session.on('connected', (e) => connected.push(e));
    await session.open();
    await session.open();
    expect(session.connected).toBe(true);
    await session.readParameters(['pressure_bar']);
    expect(sim.stats.connections).toBe(1);
    expect(connected).toHaveLength(1);
  });

  it('writes change the simulator (one- and two-byte ids, Float, by name and id) and setClock sets its clock', async () => {
    const { sim, session } = await setup();
    const r = await session.writeParameters([{ name: 'display_contrast', value: 9 }, { id: 1, value: '0.25' }, { name: 'compressibility_formula', value: 2 }]);
    expect(r).toEqual({ accepted: true, answer: 'ack', written: ['display_contrast', 'pulse_weight_m3', 'compressibility_formula'], notWritten: [] });
    expect((sim.parameter(300) as ExactDecimal).toString()).toBe('9');
    expect((sim.parameter(1) as ExactDecimal).toString()).toBe('0.25');
    expect((sim.parameter(15) as ExactDecimal).toString()).toBe('2');
    await session.setClock(T('2021-01-15T08:00:00'));
    const c = sim.parameter('clock');
    expect(isCorusDateTime(c) && formatCorusDateTime(c)).toBe('2021-01-15T08:00:00');
  });

  it('refuses bad writes before sending: unknown, read-only, out of range, wrong type', async () => {
    const { sim, session } = await setup();
    await expect(session.writeParameters([{ name: 'nope', value: 1 }])).rejects.toMatchObject({ code: 'BB_CORUS_UNKNOWN_PARAMETER' });
    await expect(session.writeParameters([{ name: 'volume_converted_m3', value: 1 }])).rejects.toMatchObject({ code: 'BB_CORUS_NOT_WRITABLE' });
    await expect(session.writeParameters([{ name: 'display_contrast', value: 16 }])).rejects.toMatchObject({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE' });
    await expect(session.writeParameters([{ name: 'display_contrast', value: 1 }, { name: 'compressibility_formula', value: 2.5 }])).rejects.toMatchObject({ code: 'BB_CORUS_VALUE_OUT_OF_RANGE' });
    await expect(session.writeParameters([{ name: 'clock', value: 5 }])).rejects.toMatchObject({ code: 'BB_CORUS_VALUE_TYPE' });
    expect(sim.stats.writes).toBe(0);
  });

  it('a NAKed write is reported as refused and not retried', async () => {
    const { sim, session } = await setup({ faults: [{ on: 'write', kind: 'nak' }] });
    const r = await session.writeParameters([{ name: 'display_contrast', value: 4 }]);
    expect(r).toMatchObject({ accepted: false, answer: 'nak', written: [], notWritten: ['display_contrast'], outcome: 'refused' });
    expect(sim.stats.writes).toBe(1);
    expect((sim.parameter(300) as ExactDecimal).toString()).not.toBe('4');
  });

  it('a write whose answer never comes fails non-retriable and is sent once', async () => {
    const { sim, session } = await setup({ faults: [{ on: 'write', kind: 'disconnect' }] });
    await expect(session.writeParameters([{ name: 'display_contrast', value: 4 }])).rejects.toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED', retriable: false, outcome: 'unknown' });
    expect(sim.stats.writes).toBe(1);
  });

  it('outcome of failed writes: not_sent before the frame left, unknown after it', async () => {
    const { sim, session } = await setup({ faults: [{ on: 'write', kind: 'silence' }] }, { timeouts: { writeAckMs: 100 } });
    for (const bad of [[{ name: 'nope', value: 1 }], [{ name: 'volume_converted_m3', value: 1 }], [{ name: 'display_contrast', value: 16 }], [{ name: 'clock', value: 5 }]]) {
      await expect(session.writeParameters(bad)).rejects.toMatchObject({ outcome: 'not_sent' });
    }
    const silent = await session.writeParameters([{ name: 'display_contrast', value: 4 }]).catch((e: unknown) => e);
    expect(silent).toMatchObject({ code: 'BB_CORUS_TIMEOUT', retriable: false, outcome: 'unknown' });
    expect((silent as Error).message).toBe('write outcome unknown: no write ACK within 100 ms');
    await session.close();
    await sim.close();
    // the device is gone: opening the link fails, the write never leaves
    const gone = new CorusSession({ transport: tcpTransport({ host: sim.host, port: sim.port }), map: EXAMPLE_CORUS_MAP, keepAliveIntervalMs: 0 });
    await expect(gone.writeParameters([{ name: 'display_contrast', value: 5 }])).rejects.toMatchObject({ code: 'BB_CORUS_CONNECT_FAILED', outcome: 'not_sent' });
    await gone.close();
  });

  it('wrong password on a write → BB_CORUS_AUTH_FAILED, not_sent; a second frame failing after an ACKed first → unknown', async () => {
    const auth = await setup({ password: 'ABCD' }, { password: 'PASS' });
    await expect(auth.session.writeParameters([{ name: 'display_contrast', value: 3 }])).rejects.toMatchObject({ code: 'BB_CORUS_AUTH_FAILED', outcome: 'not_sent' });
    expect(auth.sim.stats.writes).toBe(0);
    await auth.session.close();
    await auth.sim.close();
    const { sim, session } = await setup({ faults: [{ on: 'write', kind: 'disconnect', after: 1 }] }, { maxFrameData: 4 }); // 3 + 2 bytes: two frames
    const err = await session.writeParameters([{ name: 'display_contrast', value: 2 }, { name: 'compressibility_formula', value: 1 }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED', outcome: 'unknown' });
    expect(sim.stats.writes).toBe(2);
    expect((sim.parameter(300) as ExactDecimal).toString()).toBe('2');
  });

  it('readLog keeps the repeated hour of a DST fall-back (device on local time) across 1-hour windows, and a set-back\'s re-logged records', async () => {
    const { sim, session } = await setup({ timeZone: 'Europe/Paris', startTime: '2020-10-25T01:00:00', historyRecords: 4 }, { timeZone: 'Europe/Paris', logChunkS: 3600 });
    sim.advance(3 * 3600);
    const recs = await collect(session.readLog('interval', { since: new Date('2020-10-24T22:15:00Z'), until: new Date('2020-10-25T02:00:00Z') }));
    expect(recs.map((r) => r.deviceTime.slice(11, 16))).toEqual(['00:15', '00:30', '00:45', '01:00', '01:15', '01:30', '01:45', '02:00', '02:15', '02:30', '02:45', '02:00', '02:15', '02:30', '02:45', '03:00']);
    recs.forEach((r, i) => expect(r.timestamp.getTime()).toBe(Date.parse('2020-10-24T22:15:00Z') + i * 900_000));
    sim.setBackClock(3600);
    sim.advance(1800); // 02:00 CET again → 02:30: 02:15 and 02:30 re-logged
    const after = await collect(session.readLog('interval', { since: new Date('2020-10-25T01:00:00Z'), until: new Date('2020-10-25T02:00:00Z') }));
    expect(after.map((r) => `${r.deviceTime.slice(11, 16)} ${r.timestamp.toISOString().slice(11, 16)}`)).toEqual(['02:00 01:00', '02:15 01:15', '02:30 01:30', '02:45 01:45', '03:00 02:00', '02:15 01:15', '02:30 01:30']);
  });

  it('reads the interval log across frames and windows, oldest first, equal to the simulator records', async () => {
    const { sim, session } = await setup({ databaseChunk: 100 }, { logChunkS: 7200 });
    const recs = await collect(session.readLog('interval', { since: T('2020-10-07T00:00:00'), until: T('2020-10-07T12:00:00') }));
    const expected = sim.logRecords('interval').filter((r) => r.endDate >= '2020-10-07T00:00:00').reverse();
    expect(recs).toHaveLength(49);
    expect(recs.map((r) => r.deviceTime)).toEqual(expected.map((r) => r.endDate));
    for (let i = 0; i < recs.length; i++) {
      const got = recs[i] as LogRecord;
      const want = (expected[i] as (typeof expected)[number]).values;
      for (const [k, v] of Object.entries(want)) {
        const g = got.values[k];
        if (v instanceof ExactDecimal) expect((g as ExactDecimal).toString(), k).toBe(v.toString());
        else if (isCorusDateTime(v)) expect(g).toEqual(T(formatCorusDateTime(v)));
      }
    }
    expect(recs[0]?.timestamp).toEqual(T('2020-10-07T00:00:00'));
    expect(sim.stats.databaseRequests).toBe(6);
  });

  describe('fault injection (README §13.6): typed errors, the loss reported, never reconnected', () => {
    const lossCases: [string, CorusFault[], string][] = [
      ['bad CRC on a read answer', [{ on: 'read', kind: 'bad-crc', after: 1 }], 'BB_CORUS_FRAME_CRC'],
      ['wrong ETX on a read answer', [{ on: 'read', kind: 'wrong-etx', after: 1 }], 'BB_CORUS_FRAME_ETX'],
      ['garbage before SOH', [{ on: 'read', kind: 'garbage', after: 1 }], 'BB_CORUS_FRAME_UNEXPECTED_BYTE'],
      ['truncated answer (timeout)', [{ on: 'read', kind: 'truncate', after: 1 }], 'BB_CORUS_TIMEOUT'],
      ['connection dropped mid-frame', [{ on: 'read', kind: 'disconnect', after: 1 }], 'BB_CORUS_CONNECTION_CLOSED'],
    ];
    for (const [name, faults, code] of lossCases) {
      it(`${name}: the read fails with ${code}, lost settles, later operations fail not_sent; a new session reads`, async () => {
        const { sim, session } = await setup({ faults }, { timeouts: { responseMs: 300 } });
        const read = await session.readParameters(['volume_converted_m3']).catch((e: unknown) => e);
        expect(read).toMatchObject({ code, retriable: true });
        await expect(session.lost).resolves.toBe(read);
        expect(session.connected).toBe(false);
        await expect(session.readParameters(['pressure_bar'])).rejects.toMatchObject({ code: 'BB_CORUS_SESSION_CLOSED', outcome: 'not_sent', retriable: true });
        expect(sim.stats.connections).toBe(1);
        const fresh = new CorusSession({ transport: tcpTransport({ host: sim.host, port: sim.port }), map: EXAMPLE_CORUS_MAP, keepAliveIntervalMs: 0 });
        try {
          const r = await fresh.readParameters(['volume_converted_m3']);
          expect((r.volume_converted_m3 as ExactDecimal).toString()).toBe((sim.parameter('volume_converted_m3') as ExactDecimal).toString());
        } finally {
          await fresh.close();
        }
        expect(sim.stats.connections).toBe(2);
      });
    }
    it('wrong LEN on a read answer: the read fails typed and the session reports its loss', async () => {
      const { sim, session } = await setup({ faults: [{ on: 'read', kind: 'wrong-len', after: 1 }] }, { timeouts: { responseMs: 300 } });
      const read = await session.readParameters(['volume_converted_m3']).catch((e: unknown) => e);
      expect((read as { code: string }).code).toMatch(/^BB_CORUS_/);
      await expect(session.lost).resolves.toBe(read);
      expect(sim.stats.connections).toBe(1);
    });
    const okCases: [string, CorusFault[]][] = [
      ['wake-up reply not zeros (wake-up retried on the same link)', [{ on: 'wakeup', kind: 'bad-wakeup' }]],
      ['slow byte-by-byte answer', [{ on: 'read', kind: 'slow' }, { on: 'read', kind: 'slow', after: 1 }]],
    ];
    for (const [name, faults] of okCases) {
      it(`${name}: read succeeds on the one link`, async () => {
        const { sim, session } = await setup({ faults }, { wakeupRetryDelayMs: 100 });
        const r = await session.readParameters(['volume_converted_m3']);
        expect((r.volume_converted_m3 as ExactDecimal).toString()).toBe((sim.parameter('volume_converted_m3') as ExactDecimal).toString());
        expect(sim.stats.connections).toBe(1);
      });
    }
    it('a NAK refusal of a read is typed BB_CORUS_REQUEST_REFUSED, not retried, and ends the session (the link drops itself after a NAK: a late answer may follow)', async () => {
      const { sim, session } = await setup({ faults: [{ on: 'read', kind: 'nak', after: 1, times: 1 }] });
      await expect(session.readParameters(['volume_converted_m3'])).rejects.toMatchObject({ code: 'BB_CORUS_REQUEST_REFUSED' });
      await expect(session.lost).resolves.toMatchObject({ code: 'BB_CORUS_REQUEST_REFUSED' });
      await expect(session.readParameters(['volume_converted_m3'])).rejects.toMatchObject({ code: 'BB_CORUS_SESSION_CLOSED', outcome: 'not_sent' });
      expect(sim.stats.connections).toBe(1);
    });
    it('silence → BB_CORUS_TIMEOUT once, no second attempt', async () => {
      const { sim, session } = await setup({ faults: [{ on: 'read', kind: 'silence', times: 100 }] }, { timeouts: { responseMs: 100 } });
      await expect(session.readParameters(['pressure_bar'])).rejects.toMatchObject({ code: 'BB_CORUS_TIMEOUT' });
      expect(sim.stats.connections).toBe(1);
    });
    it('wrong password → BB_CORUS_AUTH_FAILED, not retried', async () => {
      const { sim, session } = await setup({ password: 'ABCD' }, { password: 'PASS' });
      await expect(session.readParameters(['pressure_bar'])).rejects.toMatchObject({ code: 'BB_CORUS_AUTH_FAILED', retriable: false });
      await expect(session.lost).resolves.toMatchObject({ code: 'BB_CORUS_AUTH_FAILED' });
      expect(sim.stats.connections).toBe(1);
    });
    it('password echo (default) works with any device password', async () => {
      const { session } = await setup({ password: 'WXYZ' });
      expect((await session.readParameters(['parameter_map'])).parameter_map).toBe('FL_b0040');
    });

    const logCases: [string, CorusFault[], number, number][] = [
      ['bad CRC on a database frame → NAK, same frame again, no duplicated data', [{ on: 'database-frame', kind: 'bad-crc', after: 1 }], 1, 1],
      ['bad CRC on the last database frame', [{ on: 'database-frame', kind: 'bad-crc', after: 2 }], 1, 1],
    ];
    for (const [name, faults, connections, naks] of logCases) {
      it(`${name}: log read complete`, async () => {
        const { sim, session } = await setup({ databaseChunk: 100, faults }, { logChunkS: 86_400 });
        const recs = await collect(session.readLog('interval', { since: T('2020-10-07T11:00:00'), until: T('2020-10-07T12:00:00') }));
        expect(recs.map((r) => r.deviceTime)).toEqual(['2020-10-07T11:00:00', '2020-10-07T11:15:00', '2020-10-07T11:30:00', '2020-10-07T11:45:00', '2020-10-07T12:00:00']);
        expect(sim.stats.connections).toBe(connections);
        expect(sim.stats.naksReceived).toBe(naks);
      });
    }
    for (const [name, fault, code] of [['connection dropped mid-log', 'disconnect', 'BB_CORUS_CONNECTION_CLOSED'], ['out-of-order frame number', 'frame-order', 'BB_CORUS_DB_FRAME_ORDER']] as const) {
      it(`${name}: the log read fails with ${code} and the session reports its loss (the caller reads the window again on a new session)`, async () => {
        const { sim, session } = await setup({ databaseChunk: 100, faults: [{ on: 'database-frame', kind: fault, after: 1 }] }, { logChunkS: 86_400 });
        const err = await collect(session.readLog('interval', { since: T('2020-10-07T11:00:00'), until: T('2020-10-07T12:00:00') })).catch((e: unknown) => e);
        expect(err).toMatchObject({ code });
        await expect(session.lost).resolves.toBe(err);
        expect(sim.stats.connections).toBe(1);
      });
    }
    it('a database stream that is not whole records → BB_CORUS_DB_PARTIAL_RECORD', async () => {
      const { session } = await setup({ faults: [{ on: 'database', kind: 'partial-record', times: 10 }] });
      await expect(collect(session.readLog('interval', { since: T('2020-10-07T11:00:00'), until: T('2020-10-07T12:00:00') }))).rejects.toMatchObject({ code: 'BB_CORUS_DB_PARTIAL_RECORD' });
    });
    it('a frame corrupt more than 3 times → BB_CORUS_DB_RETRIES_EXHAUSTED (the link\'s NAKs only, no session retry)', async () => {
      const { sim, session } = await setup({ databaseChunk: 100, faults: [{ on: 'database-frame', kind: 'bad-crc', times: 100 }] });
      await expect(collect(session.readLog('interval', { since: T('2020-10-07T11:00:00'), until: T('2020-10-07T12:00:00') }))).rejects.toMatchObject({ code: 'BB_CORUS_DB_RETRIES_EXHAUSTED' });
      expect(sim.stats.naksReceived).toBe(3);
      expect(sim.stats.connections).toBe(1);
    });
    it('unknown log → BB_CORUS_NO_LAYOUT', async () => {
      const { session } = await setup();
      await expect(collect(session.readLog('daily', { since: T('2020-10-07T11:00:00') }))).rejects.toMatchObject({ code: 'BB_CORUS_NO_LAYOUT' });
    });
  });

  describe('single session with priorities', () => {
    it('a write queued during a long log backfill runs in the next slot, the backfill then resumes', async () => {
      const { sim, session } = await setup({ historyRecords: 96 * 7 }, { logChunkS: 3600 });
      const events: string[] = [];
      let windows = 0;
      const backfill = (async () => {
        for await (const r of session.readLog('interval', { since: T('2020-10-01T00:00:00'), until: T('2020-10-07T12:00:00') })) {
          if (r.deviceTime.endsWith(':00:00')) windows++;
          if (windows === 3 && events.length === 0) {
            events.push(`write queued after ${sim.stats.databaseRequests} requests`);
            session.writeParameters([{ name: 'display_contrast', value: 11 }]).then(
              () => events.push(`write done after ${sim.stats.databaseRequests} requests`),
              (e: unknown) => events.push(`write failed ${String(e)}`),
            );
          }
        }
        events.push(`backfill done after ${sim.stats.databaseRequests} requests`);
      })();
      await backfill;
      expect(events, events.join(' | ')).toHaveLength(3);
      const queued = Number(/after (\d+)/.exec(events[0] as string)?.[1]);
      const done = Number(/after (\d+)/.exec(events[1] as string)?.[1]);
      expect(done - queued).toBeLessThanOrEqual(1);
      expect(events[2]).toMatch(/backfill done after 15\d requests/);
      expect((sim.parameter(300) as ExactDecimal).toString()).toBe('11');
    });

    it('reads queued behind a write go after it (priority order)', async () => {
      const { session } = await setup();
      const order: string[] = [];
      const a = session.readParameters(['pressure_bar']).then(() => order.push('read1'));
      const b = session.readParameters(['temperature_c']).then(() => order.push('read2'));
      const w = session.writeParameters([{ name: 'display_contrast', value: 2 }]).then(() => order.push('write'));
      await Promise.all([a, b, w]);
      expect(order).toEqual(['read1', 'write', 'read2']);
    });

    it('keeps the link alive with keep-alive reads and never closes it by itself', async () => {
      const { sim, session } = await setup({}, { keepAliveIntervalMs: 40 });
      await session.readParameters(['pressure_bar']);
      const readsAfterFirst = sim.stats.reads;
      await new Promise((r) => setTimeout(r, 400));
      expect(sim.stats.reads).toBeGreaterThan(readsAfterFirst + 2);
      expect(sim.stats.connections).toBe(1);
      expect(sim.stats.breaks).toBe(0);
      expect(session.connected).toBe(true);
    });

    it('a keep-alive that finds the link gone reports the loss', async () => {
      const { sim, session } = await setup({ faults: [{ on: 'read', kind: 'disconnect', after: 2 }] }, { keepAliveIntervalMs: 40 }); // reads: map check, the poll, then the keep-alive
      await session.readParameters(['pressure_bar']);
      await expect(session.lost).resolves.toMatchObject({ code: 'BB_CORUS_CONNECTION_CLOSED' });
      expect(sim.stats.connections).toBe(1);
    });

    it('close() fails queued operations with BB_CORUS_SESSION_CLOSED and sends the break', async () => {
      const { sim, session } = await setup();
      const first = session.readParameters(['pressure_bar']);
      const second = session.readParameters(['temperature_c']).then(
        () => undefined,
        (e: unknown) => e,
      );
      const closing = session.close();
      await expect(first).resolves.toBeDefined();
      expect(await second).toMatchObject({ code: 'BB_CORUS_SESSION_CLOSED', outcome: 'not_sent' });
      await closing;
      await new Promise((r) => setTimeout(r, 50));
      expect(sim.stats.breaks).toBe(1);
      await expect(session.readParameters(['pressure_bar'])).rejects.toMatchObject({ code: 'BB_CORUS_SESSION_CLOSED' });
    });
  });
});
