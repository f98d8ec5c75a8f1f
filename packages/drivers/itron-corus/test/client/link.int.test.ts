/**
 * CorusLink against the simulator over TCP (README §3, §3.5, §11): the echoed Z, and the rule that
 * an answer which may belong to another request is never used — duplicated, late or unsolicited
 * answers, NAKs and refusals drop the link (`lost` settles, late bytes discarded) and the owner
 * opens a new one. Issue example: read 2 must not return read 1's 100.5 instead of 200.25.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CorusLink, type LinkOptions } from '../../src/client/link.js';
import { CorusSession } from '../../src/client/session.js';
import { tcpTransport } from '../../src/client/transport.js';
import { startCorusSimulator, type CorusSimulator, type CorusSimulatorOptions } from '../../src/simulator/simulator.js';
import { EXAMPLE_CORUS_MAP } from '../../src/config/example-map.js';
import type { ParameterRef } from '../../src/codec/parameters.js';
import { toHex } from '../vectors/load.js';

let sim: CorusSimulator | undefined;
const links: CorusLink[] = [];
let session: CorusSession | undefined;
afterEach(async () => {
  await session?.close();
  for (const l of links.splice(0)) await l.close();
  await sim?.close();
  sim = undefined;
  session = undefined;
});

const FAST: LinkOptions = { wakeupRetryDelayMs: 10, timeouts: { wakeupMs: 500, identificationMs: 500, passwordMs: 500, responseMs: 500, writeAckMs: 500, databaseFrameMs: 500 } };
const PULSE: ParameterRef = { id: 1, class: 'Float' }; // pulse_weight_m3 in the example map

async function start(opts: Partial<CorusSimulatorOptions> = {}): Promise<CorusSimulator> {
  sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, values: { pulse_weight_m3: '100.5' }, ...opts });
  return sim;
}

async function open(s: CorusSimulator, o: LinkOptions = {}): Promise<CorusLink> {
  const link = await CorusLink.open(tcpTransport({ host: s.host, port: s.port })(), { ...FAST, ...o, timeouts: { ...FAST.timeouts, ...o.timeouts } });
  links.push(link);
  return link;
}

/** Waits until the simulator has seen the link's socket close (one session at a time). */
async function closedOnDevice(s: CorusSimulator, breaks: number): Promise<void> {
  for (let i = 0; i < 100 && s.stats.breaks < breaks; i++) await new Promise((r) => setTimeout(r, 10));
}

const readPulse = async (l: CorusLink): Promise<string> => String((await l.readParameters([PULSE]))[0]);

describe('Client > CorusLink (README §3, §11)', () => {
  describe('option select (README §2.2, §3.3)', () => {
    it("echoes the identification's Z by default: /ABC4XYZ → 06 30 34 36 0D 0A", async () => {
      const s = await start({ identification: '/ABC4XYZ', requireEchoedBaudChar: true });
      const link = await open(s);
      expect(toHex(s.lastOptionSelect() as Uint8Array)).toBe('063034360d0a');
      expect(link.identification).toMatchObject({ manufacturer: 'ABC', baudChar: '4', text: 'XYZ' });
      expect(await readPulse(link)).toBe('100.5');
    });
    it("V, Z and Y are configurable: iflag's fixed '7' and iflag 0.x's mode '0'", async () => {
      const s = await start();
      await (await open(s, { optionSelect: { z: '7', y: '0' } })).close();
      expect(toHex(s.lastOptionSelect() as Uint8Array)).toBe('063037300d0a');
    });
    it("a device that insists on its own Z ignores iflag's '7': sign-on times out (BB_CORUS_TIMEOUT at the password step)", async () => {
      const s = await start({ requireEchoedBaudChar: true });
      await expect(open(s, { optionSelect: { z: '7' }, timeouts: { passwordMs: 150 } })).rejects.toMatchObject({ code: 'BB_CORUS_TIMEOUT', context: { step: 'password message' } });
    });
  });

  describe('stale answers (no request ids, README §4.3)', () => {
    it('issue example: the duplicate of read 1 (100.5) arriving after read 2 went out is never read 2 (200.25)', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'duplicate-late' }] });
      const link = await open(s);
      expect(await readPulse(link)).toBe('100.5');
      s.setParameter('pulse_weight_m3', '200.25');
      const read2 = link.readParameters([PULSE]);
      await expect(read2).rejects.toMatchObject({ code: 'BB_CORUS_STALE_ANSWER' });
      expect(link.closed).toBe(true);
      await expect(link.lost).resolves.toMatchObject({ code: 'BB_CORUS_STALE_ANSWER' });
      await closedOnDevice(s, 1);
      expect(s.stats.breaks).toBe(1); // dropped with a break, then closed
      // the owner opens a new link: read 2 gives the device's value
      expect(await readPulse(await open(s))).toBe('200.25');
    });
    it('an answer repeated at once (in the same write) → BB_CORUS_STALE_ANSWER, not the value', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'duplicate' }] });
      const link = await open(s);
      await expect(link.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_STALE_ANSWER' });
      expect(link.closed).toBe(true);
    });
    it('a repeat within the settle time → BB_CORUS_STALE_ANSWER; the same repeat after a settle of 0, while no request is out, drops the link at once: the next request is BB_CORUS_LINK_LOST, nothing sent', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'duplicate', delayMs: 20 }] });
      const a = await open(s, { timeouts: { answerSettleMs: 200 } });
      await expect(a.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_STALE_ANSWER', context: { answerSettleMs: 200 } });
      await a.close();
      await closedOnDevice(s, 1);
      s.setFaults([{ on: 'read', kind: 'duplicate', delayMs: 150 }]); // well after the answer was used
      const b = await open(s, { timeouts: { answerSettleMs: 0 } });
      expect(await readPulse(b)).toBe('100.5'); // the answer, used at once
      // the repeat arrives while no request is out: the link reports its loss without being asked
      await expect(b.lost).resolves.toMatchObject({ code: 'BB_CORUS_STALE_ANSWER', message: expect.stringContaining('while no request was out') });
      expect(b.closed).toBe(true);
      const reads = s.stats.reads;
      await expect(b.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_LINK_LOST', outcome: 'not_sent' });
      expect(s.stats.reads).toBe(reads);
    });
    it('a write ACK repeated after the next write went out → the next write is "outcome unknown", never ACKed', async () => {
      const s = await start({ faults: [{ on: 'write', kind: 'duplicate-late' }] });
      const link = await open(s);
      const item = { id: 15, class: 'Byte' as const, value: 3 }; // compressibility_formula
      expect(await link.writeParameters([item])).toEqual({ accepted: true, answer: 'ack' });
      await expect(link.writeParameters([{ ...item, value: 4 }])).rejects.toMatchObject({ code: 'BB_CORUS_STALE_ANSWER', outcome: 'unknown', retriable: false, message: expect.stringMatching(/^write outcome unknown/) });
    });
    it('a late answer: the read times out, the link is dropped, and the late bytes never reach the next link', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'late', delayMs: 300 }] });
      const link = await open(s, { timeouts: { responseMs: 100 } });
      await expect(link.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_TIMEOUT' });
      await expect(link.lost).resolves.toMatchObject({ code: 'BB_CORUS_TIMEOUT' });
      s.setParameter('pulse_weight_m3', '200.25');
      await closedOnDevice(s, 1);
      const next = await open(s);
      await new Promise((r) => setTimeout(r, 350)); // past the moment the late answer was due
      expect(await readPulse(next)).toBe('200.25');
    });
    it('a NAK (refused read) drops the link; the next request is BB_CORUS_LINK_LOST, not_sent', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'nak' }] });
      const link = await open(s);
      await expect(link.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_REQUEST_REFUSED', outcome: 'refused' });
      expect(link.closed).toBe(true);
      await expect(link.lost).resolves.toMatchObject({ code: 'BB_CORUS_REQUEST_REFUSED' });
      const reads = s.stats.reads;
      await expect(link.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_LINK_LOST', outcome: 'not_sent' });
      expect(s.stats.reads).toBe(reads);
    });
    it('a NAKed write is a refusal (accepted false) and drops the link', async () => {
      const s = await start({ faults: [{ on: 'write', kind: 'nak' }] });
      const link = await open(s);
      expect(await link.writeParameters([{ id: 15, class: 'Byte', value: 3 }])).toEqual({ accepted: false, answer: 'nak' });
      expect(link.closed).toBe(true);
      await expect(link.lost).resolves.toMatchObject({ code: 'BB_CORUS_WRITE_REFUSED' });
    });
    it('through CorusSession: read 2 never returns 100.5 — the stale answer ends the session, and a new session reads 200.25', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'duplicate-late', after: 1 }] }); // the session's map check is read 1
      const options = { transport: tcpTransport({ host: s.host, port: s.port }), map: EXAMPLE_CORUS_MAP, keepAliveIntervalMs: 0, ...FAST };
      session = new CorusSession(options);
      expect((await session.readParameters(['pulse_weight_m3'])).pulse_weight_m3?.toString()).toBe('100.5');
      s.setParameter('pulse_weight_m3', '200.25');
      // the session never re-opens its link (the collector runtime opens a new session)
      await expect(session.readParameters(['pulse_weight_m3'])).rejects.toMatchObject({ code: expect.stringMatching(/^BB_CORUS_(STALE_ANSWER|LINK_LOST|SESSION_CLOSED)$/) });
      await expect(session.lost).resolves.toBeInstanceOf(Error);
      await session.close();
      session = new CorusSession(options);
      expect((await session.readParameters(['pulse_weight_m3'])).pulse_weight_m3?.toString()).toBe('200.25');
      expect(s.stats.sessions).toBe(2);
    });
  });

  describe('timeouts (README §10)', () => {
    it('an answer that stops half-way → BB_CORUS_INTER_CHARACTER_TIMEOUT, not a late success within the response timeout', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'stall', delayMs: 2000 }] });
      const link = await open(s, { timeouts: { responseMs: 5000, interCharacterMs: 100 } });
      // without the gap timeout the rest would arrive after 2 s, within the 5 s response timeout, and the read would succeed
      await expect(link.readParameters([PULSE])).rejects.toMatchObject({ code: 'BB_CORUS_INTER_CHARACTER_TIMEOUT', context: { interCharacterMs: 100 } });
      expect(link.closed).toBe(true);
    });
    it('a stall shorter than the gap is waited for', async () => {
      const s = await start({ faults: [{ on: 'read', kind: 'stall', delayMs: 50 }] });
      const link = await open(s, { timeouts: { interCharacterMs: 400 } });
      expect(await readPulse(link)).toBe('100.5');
    });
    it('wake-up: the configured number of zero bytes and attempts', async () => {
      const s = await start({ faults: [{ on: 'wakeup', kind: 'silence', times: 2 }] });
      await expect(open(s, { wakeupAttempts: 2, timeouts: { wakeupMs: 100 } })).rejects.toMatchObject({ code: 'BB_CORUS_WAKEUP_FAILED', context: { attempts: 2 } });
      await expect(open(s, { wakeupBytes: 11 })).rejects.toMatchObject({ code: 'BB_CORUS_CONFIG_INVALID' });
    });
    it('invalid options fail before connecting, naming the field', async () => {
      const s = await start();
      await expect(open(s, { timeouts: { responseMs: -5 } })).rejects.toMatchObject({ code: 'BB_CORUS_CONFIG_INVALID', message: expect.stringContaining('timeouts.responseMs') });
      expect(s.stats.connections).toBe(0);
    });
  });

  it('close(): break, lost settles with BB_CORUS_SESSION_CLOSED, idempotent', async () => {
    const s = await start();
    const link = await open(s);
    await link.close();
    await link.close();
    await expect(link.lost).resolves.toMatchObject({ code: 'BB_CORUS_SESSION_CLOSED' });
    await closedOnDevice(s, 1);
    expect(s.stats.breaks).toBe(1);
  });
});
