/**
 * The runtime's hook for source-driven modules (`ProtocolModule.acknowledge`, `@busbar/collector-kit`)
 * on the real Kafka, with a module written here whose "source" is a list of rows read from a
 * cursor: the cursor is advanced only after Kafka acknowledged the poll's records (checked against
 * the topic's high watermarks at the moment of the call), the records bypass the store-and-forward
 * buffer, and an acknowledgement that fails drops the session, so that the next one reads again
 * from the persisted cursor — rows may come twice, none is skipped.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { noopLogger, noopMetrics } from '@busbar/core';
import { collectorConfigSchema, startCollector } from '@busbar/collector-kit';
import type { DeviceConfigBase, ProtocolModule, Session } from '@busbar/protocol';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnv } from '../support/pipeline.js';

const ROWS = 60;
/** The persisted cursor (survives sessions): the number of rows acknowledged. */
let cursor = 0;
let opens = 0;
/** Published rows at each acknowledgement, and the readings topic's high watermarks then. */
const acks: { rows: number; highWatermarks: number }[] = [];
let failNextAck = false;
let admin: Admin;
let env: PipelineEnv;

interface SourceDevice extends DeviceConfigBase { readonly perPoll: number }
interface SourceSession extends Session { readAt: number }

async function highWatermarks(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

const sourceModule: ProtocolModule<SourceDevice, SourceSession, { from: number; to: number }> = {
  protocol: 'source',
  actionPrefix: 'source.',
  devicesSchema: z.array(z.object({ id: z.string(), pollIntervalMs: z.number(), perPoll: z.number() })),
  resolveDevices: (d) => d,
  sessionMode: () => 'exclusive',
  open: async () => {
    opens++;
    return { readAt: cursor, lost: new Promise<Error>(() => undefined), close: async () => undefined };
  },
  poll: async (s, device) => {
    const from = s.readAt;
    s.readAt = Math.min(ROWS, from + device.perPoll);
    return { from, to: s.readAt };
  },
  toRecords: (device, raw, ctx) => ({
    readings: Array.from({ length: raw.to - raw.from }, (_, i) => ({ device_id: device.id, protocol: 'source', channel: null, timestamp: new Date(ctx.atMs), values: { row: raw.from + i + 1 }, quality: 'GOOD' as const, sequence: ctx.nextSequence() })),
  }),
  acknowledge: async (_s, _d, raw) => {
    acks.push({ rows: raw.to, highWatermarks: await highWatermarks(env.topics.readings) });
    if (failNextAck && raw.to > raw.from) {
      failNextAck = false;
      throw new Error('cursor file not writable');
    }
    cursor = raw.to;
  },
  actions: {},
};

beforeAll(async () => {
  env = await startPipelineEnv({ namespace: 'ack' });
  admin = new Kafka({ clientId: 'e2e-ack', brokers: env.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  failNextAck = true; // the first acknowledgement with rows fails
  const raw = collectorConfigSchema(sourceModule, 0).parse({
    kafka: { brokers: env.kafka.brokers }, topics: env.topics, instanceId: `e2e-${env.run}`,
    buffer: { path: join(mkdtempSync(join(tmpdir(), 'busbar-ack-')), 'buffer.sqlite') },
    devices: [{ id: 'source-1', pollIntervalMs: 50, perPoll: 7 }],
  });
  env.services.push(await startCollector(sourceModule, 'collector-source', { ...raw, devices: raw.devices as readonly SourceDevice[] }, { logger: noopLogger, metrics: noopMetrics }));
}, 180_000);

afterAll(async () => {
  await admin?.disconnect();
  await env?.stop();
}, 60_000);

describe('e2e > collector runtime > source-driven modules (acknowledge after Kafka)', () => {
  it('advances the cursor only once Kafka holds the records, and re-reads after a failed acknowledgement without skipping a row', async () => {
    await env.readings.waitFor((r) => r.device_id === 'source-1' && r.values.row === ROWS, 1, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(cursor).toBe(ROWS);
    // each acknowledgement came after Kafka had every record published so far (no buffer in between)
    for (const a of acks) expect(a.highWatermarks).toBeGreaterThanOrEqual(a.rows);
    // the failed acknowledgement dropped the session; the new one read the same rows again
    expect(opens).toBe(2);
    const rows = env.readings.where((r) => r.device_id === 'source-1').map((r) => r.values.row!);
    expect(new Set(rows)).toEqual(new Set(Array.from({ length: ROWS }, (_, i) => i + 1)));
    expect(rows.slice(0, 14)).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7]); // rows 1..7 twice, nothing lost
    expect(rows).toHaveLength(ROWS + 7);
    // the session loss was reported like any other
    const [down] = await env.events.waitFor((e) => e.device_id === 'source-1' && e.kind === 'DISCONNECTED', 1, 10_000);
    expect(down!.reason).toContain('cursor file not writable');
  }, 90_000);
});
