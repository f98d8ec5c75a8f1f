import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { TestkitError } from '../../src/errors.js';
import { createBucket, sharedInflux, sharedKafka, smtpSink, uniqueTopics } from '../../src/shared/index.js';
import type { InfluxBucket } from '../../src/shared/index.js';

// The servers of the whole run, through the global setup of the integration project.
describe('Testkit > shared servers of the run', () => {
  it('Kafka: every call answers the same broker, on which a suite creates its own topics', async () => {
    const [a, b] = await Promise.all([sharedKafka(), sharedKafka()]);
    expect(a.brokers).toHaveLength(1);
    expect(a.brokers[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(b).toEqual(a);
    const topics = uniqueTopics('testkit-shared', ['one', 'two']);
    const admin = new Kafka({ clientId: 'testkit-shared', brokers: a.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic })), waitForLeaders: true });
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(Object.values(topics)));
    } finally {
      await admin.disconnect();
    }
  });

  it('InfluxDB: each bucket of its own, on the same server; what is written to one is not in the other', async () => {
    const server = await sharedInflux();
    const [a, b] = await Promise.all([createBucket('testkit-a'), createBucket('testkit-b')]);
    expect(a.url).toBe(server.url);
    expect(b.url).toBe(server.url);
    expect(a.bucket).toMatch(/^testkit-a-[0-9a-f]{8}$/);
    expect(a.bucketId).toMatch(/^[0-9a-f]{16}$/);
    expect(b.bucketId).not.toBe(a.bucketId);
    const write = new InfluxDB({ url: a.url, token: a.token }).getWriteApi(a.org, a.bucket, 'ms');
    write.writePoint(new Point('cell').tag('device', 'arbin-1').floatField('voltage_v', 3.712).timestamp(new Date()));
    await write.close();
    const read = (bk: InfluxBucket): Promise<Record<string, unknown>[]> =>
      new InfluxDB({ url: bk.url, token: bk.token }).getQueryApi(bk.org).collectRows(`from(bucket: "${bk.bucket}") |> range(start: -1h)`);
    expect((await read(a)).map((r) => [r.device, r._field, r._value])).toEqual([['arbin-1', 'voltage_v', 3.712]]);
    expect(await read(b)).toEqual([]);
  });

  it('SMTP: a sink sees the mail sent to its own address only', async () => {
    const [a, b] = await Promise.all([smtpSink('oncall'), smtpSink('oncall')]);
    expect(a.address).toMatch(/^oncall-[0-9a-f]{8}@busbar\.test$/);
    expect(b.address).not.toBe(a.address);
    expect([b.host, b.port]).toEqual([a.host, a.port]);
    const t = nodemailer.createTransport({ host: a.host, port: a.port, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'alerter@busbar.test', to: a.address, subject: 'to a', text: 'T = 61.5 °C' });
    await t.sendMail({ from: 'alerter@busbar.test', to: b.address, subject: 'to b', text: 'x' });
    const got = await a.waitFor((m) => m.subject === 'to a');
    expect(got.text?.trim()).toBe('T = 61.5 °C');
    expect(got.date).toBeInstanceOf(Date);
    expect((await a.messages()).map((m) => m.subject)).toEqual(['to a']);
    expect((await b.waitFor((m) => m.subject === 'to b')).rcptTo).toEqual([b.address]);
    const err = await a.waitFor((m) => m.subject === 'to b', 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestkitError);
    expect((err as TestkitError).code).toBe('BB_TESTKIT_START_TIMEOUT');
    expect((err as Error).message).toContain('"to a"');
  });
});
