/**
 * The alerter's rule state across restarts and hand-overs, on the run's real Kafka and SMTP
 * servers (@busbar/testkit shared): a graceful restart while an episode fires, a kill -9 of an
 * alerter process while the value recovers, and a second member of the group taking the
 * partitions over from one that stops. What counts is what the on-call person receives (mail in
 * the SMTP sink) and what is on the alerts topic: one FIRING per episode, its RESOLVED under the
 * same alert id.
 *
 * The hand-over time (stop of one member → the other handled the next reading and its RESOLVED
 * mail arrived) is printed as a figure, not asserted.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { Alert } from '@busbar/avro';
import { alertSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import { DEFAULT_TOPICS, createKafka, readTopicToEnd } from '@busbar/kafka';
import type { RunningService } from '@busbar/runtime';
import { sharedKafka, smtpSink, uniqueName, uniqueTopics, runsAlone } from '@busbar/testkit/shared';
import type { SharedKafka, SinkMail, SmtpSink } from '@busbar/testkit/shared';
import { alerterConfigSchema, startAlerter } from '../src/index.js';

runsAlone('kills and restarts alerter processes and prints their take-over times (session timeouts, timer rules on wall time)');

const root = resolve(import.meta.dirname, '../../..');
let kafkaServer: SharedKafka;
let sink: SmtpSink;
let producer: ReturnType<ReturnType<typeof createKafka>['producer']>;
/** The topics of the test that runs (each test has its own: alerters of another test do not see its readings). */
let topics: Record<keyof typeof DEFAULT_TOPICS, string>;
const dir = mkdtempSync(join(tmpdir(), 'busbar-alerter-'));
const running: RunningService[] = [];
const children: ChildProcess[] = [];

/** The alerter's configuration file contents: rule psu-temp (critical 80, clear 55), mail to the sink. */
function config(groupId: string, instanceId: string): Record<string, unknown> {
  return {
    kafka: { brokers: kafkaServer.brokers },
    topics,
    groupId,
    rules: [{ id: 'psu-temp', devices: ['psu-*'], signal: 'temperature_c', direction: 'above', critical: 80, clear: 55, forMs: 0 }],
    email: { smtp: { host: sink.host, port: sink.port }, from: 'busbar@lab.test', to: [sink.address] },
    instanceId,
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  };
}

const start = async (groupId: string, instanceId: string): Promise<RunningService> => {
  const s = await startAlerter(alerterConfigSchema.parse(config(groupId, instanceId)), { logger: noopLogger, metrics: noopMetrics });
  running.push(s);
  return s;
};

const send = async (deviceId: string, temperatureC: number, atMs: number): Promise<void> => {
  await producer.send({ topic: topics.readings, acks: -1, messages: [{ key: deviceId, value: readingSerde.encode({ device_id: deviceId, protocol: 'modbus', timestamp: new Date(atMs), values: { temperature_c: temperatureC } }) }] });
};

/** The alert id written in a mail's text (`Alert id:  …`). */
const idOf = (m: SinkMail): string | undefined => /Alert id: +(\S+)/.exec(m.text ?? '')?.[1];
const mailsOf = async (deviceId: string): Promise<SinkMail[]> => (await sink.messages()).filter((m) => m.subject?.includes(` ${deviceId}:`) === true);
const firingMail = (deviceId: string): Promise<SinkMail> => sink.waitFor((m) => m.subject?.startsWith(`[Busbar CRITICAL] ${deviceId}:`) === true, 60_000);
const resolvedMail = (deviceId: string): Promise<SinkMail> => sink.waitFor((m) => m.subject?.startsWith(`[Busbar RESOLVED] ${deviceId}:`) === true, 60_000);

/** The Alert records of one device on the alerts topic. */
async function alertsOf(deviceId: string): Promise<Alert[]> {
  const found: Alert[] = [];
  await readTopicToEnd({ kafka: createKafka({ brokers: kafkaServer.brokers, clientId: uniqueName('alerter-test') }), topic: topics.alerts, decoder: alertSerde, timeoutMs: 60_000 }, (a) => {
    if (a.device_id === deviceId) found.push(a);
  });
  return found;
}

/** Expects exactly one episode: one FIRING mail and one RESOLVED mail with the same alert id, and the same on the alerts topic. */
async function expectOneEpisode(deviceId: string): Promise<void> {
  const mails = await mailsOf(deviceId);
  expect(mails.map((m) => m.subject?.split(']')[0])).toEqual(['[Busbar CRITICAL', '[Busbar RESOLVED']);
  expect(idOf(mails[0]!)).toBeDefined();
  expect(idOf(mails[1]!)).toBe(idOf(mails[0]!));
  const alerts = await alertsOf(deviceId);
  // a batch redelivered after a crash may publish its records twice (same ids); never a second episode
  expect(new Set(alerts.map((a) => a.alert_id))).toEqual(new Set([idOf(mails[0]!)]));
  expect([...new Set(alerts.map((a) => a.state))]).toEqual(['FIRING', 'RESOLVED']);
}

/** Starts `busbar-alerter` as its own process (the sources, through tsx), output to a log file. */
function spawnAlerter(file: string, log: string): ChildProcess {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(process.execPath, ['--conditions=@busbar/source', '--import', 'tsx', 'services/alerter/src/main.ts', '--config', file], { cwd: root, stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    children.push(child);
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Resolves once the process's log has a line containing `text` (the alerter logs `alerter running` when it consumes). */
async function logged(log: string, text: string, from = 0, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!readFileSync(log, 'utf8').slice(from).includes(text)) {
    if (Date.now() > end) throw new Error(`no "${text}" in ${log} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exited = (child: ChildProcess): Promise<void> => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

beforeAll(async () => {
  [kafkaServer, sink] = await Promise.all([sharedKafka(), smtpSink('alerter-restart')]);
  producer = createKafka({ clientId: 'alerter-test', brokers: kafkaServer.brokers }).producer();
  await producer.connect();
}, 180_000);

beforeEach(async () => {
  topics = { ...DEFAULT_TOPICS, ...uniqueTopics('alerter-test', { readings: 'readings', alerts: 'alerts', deadLetter: 'dead-letter' }) };
  const admin = createKafka({ clientId: 'alerter-test', brokers: kafkaServer.brokers }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topics.readings, numPartitions: 2 }, { topic: topics.alerts, numPartitions: 1 }, { topic: topics.deadLetter, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(running.map((s) => s.stop().catch(() => undefined)));
  await producer?.disconnect();
}, 60_000);

describe('alerter > rule state survives restarts (real Kafka + SMTP)', () => {
  it('graceful restart while firing: no second FIRING, and the RESOLVED after the restart has the same alert id', async () => {
    const group = uniqueName('alerter-graceful');
    const t0 = Date.now();
    const first = await start(group, 'graceful');
    // ready once it is a member of its group: Kafka consumer and producer, the rule state, the SMTP channel
    const deadline = Date.now() + 30_000;
    while (!Object.values(first.ready!()).every((c) => c.ok) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(Object.entries(first.ready!()).map(([name, c]) => `${name}:${c.ok}`).sort()).toEqual(['acks_table:true', 'kafka_acks_consumer:true', 'kafka_consumer:true', 'kafka_producer:true', 'notify_email:true', 'rule_state:true']);
    await send('psu-graceful', 95, t0);
    await firingMail('psu-graceful');
    await first.stop();

    await start(group, 'graceful');
    await send('psu-graceful', 97, t0 + 1000); // still beyond the bound: the restarted alerter knows it fires
    await send('psu-graceful', 40, t0 + 2000);
    await resolvedMail('psu-graceful');
    await expectOneEpisode('psu-graceful');
  });

  it('kill -9 of the alerter process while firing, value recovered meanwhile: RESOLVED sent after the restart, same alert id', async () => {
    const group = uniqueName('alerter-kill');
    const file = join(dir, 'kill.alerter.json');
    writeFileSync(file, JSON.stringify(config(group, 'kill')));
    const log = join(dir, 'kill.alerter.log');
    const t0 = Date.now();
    writeFileSync(log, '');
    const first = spawnAlerter(file, log);
    await logged(log, 'alerter running');
    await send('psu-kill', 95, t0);
    await firingMail('psu-kill');
    first.kill('SIGKILL');
    await exited(first);
    const killed = Date.now();

    await send('psu-kill', 30, t0 + 1000); // the value recovers while no alerter runs
    const mark = readFileSync(log, 'utf8').length;
    const second = spawnAlerter(file, log);
    await resolvedMail('psu-kill');
    const resolvedAfter = Date.now() - killed;
    await logged(log, 'alerter running', mark);
    await expectOneEpisode('psu-kill');
    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0); // a clean stop on SIGTERM
    console.info(`[figure] alerter take-over after kill -9 (replacement process started at once, same group): ${resolvedAfter} ms from the kill to the RESOLVED mail (includes the process start and the dead member's 10 s session timeout)`);
  });

  it('two alerters in one group: the member that stays takes the firing series over when the other stops (state follows partitions)', async () => {
    const group = uniqueName('alerter-pair');
    const t0 = Date.now();
    const a = await start(group, 'pair-a');
    // one device per readings partition, so whichever partitions B gets, one of them moves
    const devices = ['psu-pair-1', 'psu-pair-2', 'psu-pair-3', 'psu-pair-4'];
    for (const d of devices) await send(d, 95, t0);
    await Promise.all(devices.map((d) => firingMail(d)));
    await start(group, 'pair-b'); // B joins: the partitions are shared between A and B

    for (const d of devices) await send(d, 96, t0 + 1000); // still firing, wherever it is evaluated now
    const stopped = Date.now();
    await a.stop(); // A leaves the group; B owns every partition
    const left = Date.now();
    for (const d of devices) await send(d, 40, t0 + 2000);
    await Promise.all(devices.map((d) => resolvedMail(d)));
    const handedOver = Date.now();
    for (const d of devices) await expectOneEpisode(d);
    console.info(`[figure] alerter hand-over on a graceful stop: stop() took ${left - stopped} ms; from the stop to the other member's RESOLVED mails ${handedOver - left} ms (session timeout 10 s, heartbeat 1 s)`);
  });
});

describe('alerter > timer rules survive restarts (real Kafka + SMTP)', () => {
  /** Rules on health: no reading of psu-* for 4 s; plc-* DISCONNECTED for 3 s; and the threshold rule. */
  function healthConfig(groupId: string, instanceId: string): Record<string, unknown> {
    const c = config(groupId, instanceId);
    return { ...c, rules: [...(c.rules as unknown[]), { type: 'no_data', id: 'psu-silent', devices: ['psu-*'], timeoutMs: 4000 }, { type: 'disconnect', id: 'plc-down', devices: ['plc-*'], forMs: 3000 }] };
  }
  const startHealth = async (groupId: string, instanceId: string): Promise<RunningService> => {
    const s = await startAlerter(alerterConfigSchema.parse(healthConfig(groupId, instanceId)), { logger: noopLogger, metrics: noopMetrics });
    running.push(s);
    return s;
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const subjects = async (prefix: string): Promise<string[]> => (await sink.messages()).map((m) => m.subject ?? '').filter((s) => s.includes(prefix));
  /** Resolves once `group` committed offsets past `count` records of `topic` (summed over partitions): the alerter handled them. */
  async function handled(group: string, topic: string, count: number): Promise<void> {
    const admin = createKafka({ clientId: 'alerter-test', brokers: kafkaServer.brokers }).admin();
    await admin.connect();
    try {
      const end = Date.now() + 30_000;
      for (;;) {
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        if ((t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) >= count) return;
        if (Date.now() > end) throw new Error(`${group} did not commit ${count} records of ${topic}`);
        await sleep(200);
      }
    } finally {
      await admin.disconnect();
    }
  }

  beforeEach(async () => {
    topics = { ...topics, deviceEvents: uniqueName('alerter-test-events') };
    const admin = createKafka({ clientId: 'alerter-test', brokers: kafkaServer.brokers }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: topics.deviceEvents, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
  });

  it('a device silent across a restart still fires (no-data), once, and its RESOLVED after a second restart keeps the id', async () => {
    const group = uniqueName('alerter-silent');
    const first = await startHealth(group, 'silent');
    await send('psu-silent', 20, Date.now());
    await handled(group, topics.readings, 1); // the series is known to the state topic, the reading committed
    await first.stop();
    await sleep(5000); // the device stays silent past its 4 s while no alerter runs

    const loadedFrom = Date.now();
    const second = await startHealth(group, 'silent');
    const firing = await sink.waitFor((m) => m.subject?.startsWith('[Busbar CRITICAL] psu-silent: staleness_s') === true, 60_000);
    const firedAfter = Date.now() - loadedFrom;
    await second.stop();

    await startHealth(group, 'silent');
    await sleep(6000); // longer than the timeout: a restored firing series does not fire again
    expect(await subjects('psu-silent: staleness_s')).toHaveLength(1);
    await send('psu-silent', 20, Date.now());
    const resolved = await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] psu-silent: staleness_s') === true, 60_000);
    expect(idOf(resolved)).toBe(idOf(firing));
    const episode = (await alertsOf('psu-silent')).filter((a) => a.rule === 'psu-silent');
    expect(new Set(episode.map((a) => a.alert_id))).toEqual(new Set([idOf(firing)]));
    console.info(`[figure] no-data across a restart: FIRING mail ${firedAfter} ms after the new alerter started (timeout 4000 ms, counted from the state load)`);
  });

  it('a DISCONNECTED whose time ran out while no alerter ran fires after the restart, at its original deadline', async () => {
    const group = uniqueName('alerter-disconnect');
    const first = await startHealth(group, 'disconnect');
    const downAt = Date.now();
    const event = (kind: 'DISCONNECTED' | 'CONNECTED', atMs: number): Buffer => deviceEventSerde.encode({ event_id: `${kind}-${atMs}`, device_id: 'plc-7', protocol: 'modbus', timestamp: new Date(atMs), kind, reason: kind === 'DISCONNECTED' ? 'connection lost' : 'connected' });
    await producer.send({ topic: topics.deviceEvents, acks: -1, messages: [{ key: 'plc-7', value: event('DISCONNECTED', downAt) }] });
    await handled(group, topics.deviceEvents, 1); // pending in the state topic, the event committed
    await first.stop(); // normally before its 3 s; had it fired, the mail count below fails
    await sleep(Math.max(0, downAt + 4000 - Date.now()));
    expect(await subjects('plc-7')).toEqual([]);

    await startHealth(group, 'disconnect');
    const firing = await sink.waitFor((m) => m.subject?.startsWith('[Busbar CRITICAL] plc-7: disconnected_s') === true, 60_000);
    const [fired] = (await alertsOf('plc-7')).filter((a) => a.state === 'FIRING');
    expect(fired!.timestamp.getTime()).toBe(downAt + 3000);
    await producer.send({ topic: topics.deviceEvents, acks: -1, messages: [{ key: 'plc-7', value: event('CONNECTED', Date.now()) }] });
    const resolved = await sink.waitFor((m) => m.subject?.startsWith('[Busbar RESOLVED] plc-7: disconnected_s') === true, 60_000);
    expect(idOf(resolved)).toBe(idOf(firing));
  });
});
