/**
 * The historian's InfluxDB readiness on the run's real InfluxDB: the empty-write check itself
 * (valid token and bucket, wrong token, unknown bucket, nothing listening), and the historian
 * started with a wrong token or an unknown bucket — not ready, with the code, and one error line.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '@busbar/core';
import { noopMetrics } from '@busbar/core';
import { DEFAULT_TOPICS } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { createBucket, sharedKafka, uniqueTopics } from '@busbar/testkit/shared';
import type { InfluxBucket, SharedKafka } from '@busbar/testkit/shared';
import { checkInflux } from '../src/influx-check.js';
import { historianConfigSchema, startHistorian } from '../src/index.js';
import type { HistorianConfig } from '../src/index.js';

/** A logger that keeps every line (level, code, message). */
function recordingLogger(): Logger & { lines: { level: string; fields: LogFields; msg: string }[] } {
  const lines: { level: string; fields: LogFields; msg: string }[] = [];
  const make = (bound: LogFields): Logger => ({
    debug: (f, msg) => void lines.push({ level: 'debug', fields: { ...bound, ...f }, msg }),
    info: (f, msg) => void lines.push({ level: 'info', fields: { ...bound, ...f }, msg }),
    warn: (f, msg) => void lines.push({ level: 'warn', fields: { ...bound, ...f }, msg }),
    error: (f, msg) => void lines.push({ level: 'error', fields: { ...bound, ...f }, msg }),
    child: (b) => make({ ...bound, ...b }),
  });
  return Object.assign(make({}), { lines });
}

let influx: InfluxBucket;
let kafkaServer: SharedKafka;
const started: RunningService[] = [];

beforeAll(async () => {
  [kafkaServer, influx] = await Promise.all([sharedKafka(), createBucket('historian-ready')]);
}, 180_000);

afterAll(async () => {
  await Promise.all(started.map((h) => h.stop()));
}, 60_000);

describe('historian > InfluxDB check', () => {
  const target = (over: Partial<{ token: string; bucket: string; url: string }> = {}): Parameters<typeof checkInflux>[0] => ({ url: influx.url, org: influx.org, bucket: influx.bucket, token: influx.token, timeoutMs: 5000, ...over });

  it('says ok for a token that may write to the bucket', async () => {
    expect(await checkInflux(target())).toEqual({ ok: true, permanent: false });
  });

  it('names a wrong token (401) as permanent: BB_HISTORIAN_INFLUX_UNAUTHORIZED', async () => {
    expect(await checkInflux(target({ token: 'not-the-token' }))).toMatchObject({ ok: false, permanent: true, code: 'BB_HISTORIAN_INFLUX_UNAUTHORIZED', reason: expect.stringContaining('refuses the token: 401') });
  });

  it('names an unknown bucket (404) as permanent: BB_HISTORIAN_INFLUX_NOT_FOUND, with InfluxDB\'s words', async () => {
    expect(await checkInflux(target({ bucket: 'no-such-bucket' }))).toMatchObject({ ok: false, permanent: true, code: 'BB_HISTORIAN_INFLUX_NOT_FOUND', reason: expect.stringContaining('bucket "no-such-bucket" not found') });
  });

  it('says unreachable (not permanent) when nothing listens', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    expect(await checkInflux(target({ url: `http://127.0.0.1:${port}` }))).toMatchObject({ ok: false, permanent: false, code: 'BB_HISTORIAN_INFLUX_UNREACHABLE' });
  });
});

describe('historian > readiness at start', () => {
  async function start(influxOver: Record<string, unknown>): Promise<{ historian: RunningService; logger: ReturnType<typeof recordingLogger> }> {
    const run = randomUUID().slice(0, 8);
    const topics = { ...DEFAULT_TOPICS, ...uniqueTopics('historian-ready', { readings: 'readings', deadLetter: 'dead-letter' }, run) };
    const cfg = historianConfigSchema.parse({ kafka: { brokers: kafkaServer.brokers }, topics, groupId: `historian-ready-${run}`, influx: { url: influx.url, org: influx.org, bucket: influx.bucket, token: influx.token, ...influxOver } }) as HistorianConfig;
    const logger = recordingLogger();
    const historian = await startHistorian(cfg, { logger, metrics: noopMetrics });
    started.push(historian);
    return { historian, logger };
  }

  const until = async (cond: () => boolean, ms = 30_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('not in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('with a wrong token: not ready (influxdb, BB_HISTORIAN_INFLUX_UNAUTHORIZED), one error line with the code', async () => {
    const { historian, logger } = await start({ token: 'wrong-token' });
    const ready = historian.ready!();
    expect(ready.influxdb).toMatchObject({ ok: false, code: 'BB_HISTORIAN_INFLUX_UNAUTHORIZED', reason: expect.stringContaining('401') });
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields.code).toBe('BB_HISTORIAN_INFLUX_UNAUTHORIZED');
    expect(errors[0]!.msg).toMatch(/^historian not ready: InfluxDB .* refuses the token: 401/);
  });

  it('with an unknown bucket: not ready (influxdb, BB_HISTORIAN_INFLUX_NOT_FOUND)', async () => {
    const { historian, logger } = await start({ bucket: 'no-such-bucket' });
    expect(historian.ready!().influxdb).toMatchObject({ ok: false, code: 'BB_HISTORIAN_INFLUX_NOT_FOUND', reason: expect.stringContaining('bucket "no-such-bucket" not found') });
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.fields.code)).toEqual(['BB_HISTORIAN_INFLUX_NOT_FOUND']);
  });

  it('with everything right: ready once the consumer joined its group — Kafka consumer, producer and InfluxDB', async () => {
    const { historian } = await start({});
    await until(() => Object.values(historian.ready!()).every((c) => c.ok));
    expect(Object.keys(historian.ready!()).sort()).toEqual(['influxdb', 'kafka_consumer', 'kafka_producer']);
  });
});
