/**
 * The generic collector runtime (`@busbar/collector-kit` `startCollector`) on the real Kafka with a
 * protocol module written here: what the runtime does for every protocol, independent of any
 * driver — routed commands run between two polls unless the action is concurrent (a set-point the
 * driver paces), a command for a device whose session is down is FAILED with outcome `not_sent`
 * (nothing was sent), and a session that reports its loss is reconnected at once with a
 * DISCONNECTED / CONNECTED pair of events; records a session pushes by itself (`module.listen`) are
 * published between polls.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { CommandInput } from '@busbar/avro';
import { commandSerde } from '@busbar/avro';
import { collectorConfigSchema, startCollector } from '@busbar/collector-kit';
import { ExecutionJournal } from '@busbar/commands';
import { defineAction } from '@busbar/protocol';
import type { DeviceConfigBase, ListenContext, ProtocolModule, Session } from '@busbar/protocol';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';

interface FakeDevice extends DeviceConfigBase {
  readonly pollMs: number;
}
interface FakeSession extends Session {
  loseNow(): void;
}

/** What happened on the fake device, in order. */
const log: string[] = [];
let opens = 0;
let refuseOpen = false;
let current: FakeSession | undefined;
let listening: ListenContext | undefined;

const fakeModule: ProtocolModule<FakeDevice, FakeSession, number> = {
  protocol: 'fake',
  actionPrefix: 'fake.',
  devicesSchema: z.array(z.object({ id: z.string(), pollIntervalMs: z.number(), pollMs: z.number() })),
  resolveDevices: (d) => d,
  sessionMode: () => 'exclusive',
  open: async () => {
    if (refuseOpen) throw new Error('device switched off');
    opens++;
    let lose: (e: Error) => void = () => undefined;
    const s: FakeSession = { lost: new Promise((r) => (lose = r)), loseNow: () => lose(new Error('cable pulled')), close: async () => undefined };
    current = s;
    return s;
  },
  poll: async (_s, device) => {
    log.push('poll start');
    await new Promise((r) => setTimeout(r, device.pollMs));
    log.push('poll end');
    return opens;
  },
  listen: (_session, _device, ctx) => {
    listening = ctx;
  },
  toRecords: (device, n, ctx) => ({ readings: [{ device_id: device.id, protocol: 'fake', channel: null, timestamp: new Date(ctx.atMs), values: { opens: n }, quality: 'GOOD', sequence: ctx.nextSequence() }] }),
  actions: {
    'fake.apply': defineAction<FakeDevice, FakeSession, string>({ validate: (cmd) => String(cmd.parameters.label), describe: (l) => `apply ${l}`, execute: async (_s, l, ctx) => { ctx.beforeSend(); log.push(`apply ${l}`); return {}; } }),
    'fake.setpoint': defineAction<FakeDevice, FakeSession, string>({ validate: (cmd) => String(cmd.parameters.label), describe: (l) => `setpoint ${l}`, execute: async (_s, l, ctx) => { ctx.beforeSend(); log.push(`setpoint ${l}`); return {}; }, concurrent: true }),
  },
};

let env: PipelineEnv;
let journalPath: string;

async function route(action: string, label: string): Promise<string> {
  const command_id = randomUUID();
  const cmd: CommandInput = { command_id, issuer: 'e2e', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'fake-1', channel: null }, action, parameters: { label } };
  await env.producer.send({ topic: env.topics.deviceCommands, messages: [{ key: 'fake-1', value: commandSerde.encode(cmd) }] });
  return command_id;
}

beforeAll(async () => {
  env = await startPipelineEnv({ namespace: 'runtime' });
  const dir = mkdtempSync(join(tmpdir(), 'busbar-runtime-'));
  journalPath = join(dir, 'journal.sqlite');
  const raw = collectorConfigSchema(fakeModule, 0).parse({
    kafka: { brokers: env.kafka.brokers }, topics: env.topics, instanceId: `e2e-${env.run}`,
    buffer: { path: join(dir, 'buffer.sqlite') }, journal: { path: journalPath },
    devices: [{ id: 'fake-1', pollIntervalMs: 50, pollMs: 400 }],
  });
  env.services.push(await startCollector(fakeModule, 'collector-fake', { ...raw, devices: raw.devices as readonly FakeDevice[] }, { logger: noopLogger, metrics: noopMetrics }));
  await env.readings.waitFor((r) => r.device_id === 'fake-1', 1, 60_000);
}, 180_000);

afterAll(() => env?.stop(), 60_000);

describe('e2e > generic collector runtime (a protocol module written in the test, real Kafka)', () => {
  it('publishes the records a session pushes by itself (module.listen), with the process\'s sequence', async () => {
    const sequence = listening!.nextSequence();
    listening!.emit({
      readings: [{ device_id: 'fake-1', protocol: 'fake', channel: null, timestamp: new Date(), values: { pushed: 42 }, quality: 'GOOD', sequence }],
      events: [{ event_id: randomUUID(), device_id: 'fake-1', protocol: 'fake', timestamp: new Date(), kind: 'STATE_CHANGE', previous_state: 'a', state: 'b', reason: 'pushed' }],
    });
    const [r] = await env.readings.waitFor((x) => x.device_id === 'fake-1' && x.values.pushed === 42, 1, 20_000);
    expect(r!.sequence).toBe(sequence);
    await env.events.waitFor((e) => e.device_id === 'fake-1' && e.reason === 'pushed' && e.state === 'b', 1, 20_000);
  }, 60_000);

  it('runs a routed command between two polls, but a concurrent set-point at once, during the poll in progress', async () => {
    await env.readings.waitFor((r) => r.device_id === 'fake-1', 2, 20_000);
    // polls run back to back (400 ms each, every 50 ms): the set-point lands inside one
    const setpoint = await route('fake.setpoint', 'S');
    const apply = await route('fake.apply', 'A');
    const [a] = await env.results.waitFor((r) => r.command_id === apply, 1, 20_000);
    const [s] = await env.results.waitFor((r) => r.command_id === setpoint, 1, 20_000);
    expect([a!.status, s!.status]).toEqual(['EXECUTED', 'EXECUTED']);
    const iS = log.indexOf('setpoint S');
    // the exclusive command sits between a poll's end and the next poll's start
    const exclusive = log.filter((x) => !x.startsWith('setpoint'));
    const iA = exclusive.indexOf('apply A');
    expect(exclusive[iA - 1]).toBe('poll end');
    expect(exclusive[iA + 1] ?? 'poll start').toBe('poll start');
    // the set-point did not wait for a poll to end: it ran while one was in progress
    const before = log.slice(0, iS);
    expect(before.lastIndexOf('poll start')).toBeGreaterThan(before.lastIndexOf('poll end'));
  }, 60_000);

  it('journals routed commands: an id its journal has as started before a crash is answered FAILED (outcome unknown), not run again; one it ran is recorded done', async () => {
    // the journal as a crash leaves it: this id was started (its bytes may have left) and never finished
    const crashed = randomUUID();
    const journal = new ExecutionJournal({ path: journalPath, retainMs: 3_600_000 });
    try {
      journal.started(crashed);
      const command_id = crashed;
      const cmd: CommandInput = { command_id, issuer: 'e2e', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: 'fake-1', channel: null }, action: 'fake.apply', parameters: { label: 'J' } };
      await env.producer.send({ topic: env.topics.deviceCommands, messages: [{ key: 'fake-1', value: commandSerde.encode(cmd) }] });
      const [r] = await env.results.waitFor((x) => x.command_id === crashed, 1, 20_000);
      expect(r).toMatchObject({ status: 'FAILED', reason_code: 'BB_COMMAND_INTERRUPTED', details: { outcome: 'unknown' } });
      expect(log).not.toContain('apply J');
      // a command the collector runs is journaled started → done with its result
      const ran = await route('fake.apply', 'K');
      await env.results.waitFor((x) => x.command_id === ran, 1, 20_000);
      expect(journal.lookup(ran)).toMatchObject({ state: 'done', result: { status: 'EXECUTED' } });
    } finally {
      journal.close();
    }
  }, 60_000);

  it('reconnects at once when the session reports its loss, with DISCONNECTED then CONNECTED events', async () => {
    const before = opens;
    const connected = (e: { device_id: string; kind: string }): boolean => e.device_id === 'fake-1' && e.kind === 'CONNECTED';
    await env.events.waitFor(connected, 1, 20_000); // the first connection's event is recorded
    const connectedBefore = env.events.where(connected).length;
    current!.loseNow();
    await env.events.waitFor((e) => e.device_id === 'fake-1' && e.kind === 'DISCONNECTED' && /cable pulled/.test(e.reason ?? ''), 1, 20_000);
    // the reconnection is immediate here, so its outage may round to 0 ms: count the events instead
    const after = await env.events.waitFor(connected, connectedBefore + 1, 20_000);
    expect(after.at(-1)!.details?.attempts).toBe('1');
    expect(opens).toBe(before + 1);
  }, 60_000);

  it('answers a command for a device whose session is down with FAILED, outcome not_sent — nothing was sent', async () => {
    refuseOpen = true;
    current!.loseNow();
    await env.events.waitFor((e) => e.device_id === 'fake-1' && e.kind === 'DISCONNECTED' && /cable pulled/.test(e.reason ?? ''), 2, 20_000);
    const id = await route('fake.apply', 'B');
    const [r] = await env.results.waitFor((x) => x.command_id === id, 1, 20_000);
    expect(r).toMatchObject({ status: 'FAILED', reason_code: 'BB_COMMAND_DEVICE_UNAVAILABLE', details: { outcome: 'not_sent' } });
    expect(log).not.toContain('apply B');
    refuseOpen = false;
  }, 60_000);
});
