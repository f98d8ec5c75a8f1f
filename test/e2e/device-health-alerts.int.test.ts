/**
 * Acceptance of the alerter's rules on device health and dynamics (issue 12), on the real servers
 * (Kafka and SMTP started by @busbar/testkit): what counts is the mail in the SMTP sink and the
 * Alert records on the alerts topic.
 *
 * - disconnect: a power-supply simulator polled by the Modbus collector (in this process) is
 *   stopped → the collector publishes DISCONNECTED → after the rule's 3 s without CONNECTED, an
 *   alert mail; the simulator comes back → CONNECTED → a RESOLVED mail (same alert id);
 * - no-data: a device whose readings the test produces stops sending → a no-data mail after the
 *   rule's 4 s; its next reading → RESOLVED;
 * - rate of change: cell temperatures rising 3 °C/min over 60 s (reading time) → a mail;
 * - scope: the same over-temperature while resting sends nothing, while charging one mail.
 *
 * The latencies (stop → mail, back → RESOLVED mail) are printed as figures, not asserted; the
 * Alert records' times are asserted (FIRING at DISCONNECTED + 3 s: the deadline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noopLogger, noopMetrics } from '@busbar/core';
import type { ReadingInput } from '@busbar/avro';
import { readingSerde } from '@busbar/avro';
import { resolveModbusDevices } from '@busbar/module-modbus';
import { collectorConfigSchema, startModbusCollector } from '@busbar/collector-modbus';
import type { CollectorConfig } from '@busbar/collector-modbus';
import { alerterConfigSchema, startAlerter } from '@busbar/alerter';
import { POWER_SUPPLY_MAP, startPowerSupplySimulator } from '@busbar/driver-modbus';
import type { PowerSupplySimulator } from '@busbar/driver-modbus';
import { startPipelineEnv } from '../support/pipeline.js';
import type { PipelineEnvWithSmtp } from '../support/pipeline.js';

const deps = { logger: noopLogger, metrics: noopMetrics };
const DISCONNECT_FOR_MS = 3000;
const NO_DATA_MS = 4000;

let env: PipelineEnvWithSmtp;
let sim: PowerSupplySimulator;

/** Produces readings as a collector would (key = device id). */
async function send(readings: readonly ReadingInput[]): Promise<void> {
  await env.producer.send({ topic: env.topics.readings, acks: -1, messages: readings.map((r) => ({ key: r.device_id, value: readingSerde.encode(r) })) });
}

const subjectOf = (m: { subject?: string | undefined }): string => m.subject ?? '';
const mailsAbout = async (device: string): Promise<string[]> => (await env.smtp.messages()).map(subjectOf).filter((s) => s.includes(` ${device}`));

beforeAll(async () => {
  [env, sim] = await Promise.all([startPipelineEnv({ smtp: true }), startPowerSupplySimulator({ seed: 11, tickMs: 50 })]);
  const kafka = { brokers: env.kafka.brokers };
  const map = { points: POWER_SUPPLY_MAP.points };
  const collectorRaw = collectorConfigSchema.parse({ kafka, topics: env.topics, instanceId: `health-${env.run}`, devices: [{ id: 'psu-1', connection: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, unitId: 1, pollIntervalMs: 200, timeoutMs: 500, map, deviceClass: 'power-supply' }] });
  const collectorCfg: CollectorConfig = { ...collectorRaw, devices: resolveModbusDevices(collectorRaw.devices!, '.') };
  const alerterCfg = alerterConfigSchema.parse({
    kafka, topics: env.topics, groupId: `health-alerter-${env.run}`,
    rules: [
      { type: 'disconnect', id: 'psu-down', devices: ['psu-*'], forMs: DISCONNECT_FOR_MS },
      { type: 'no_data', id: 'logger-silent', devices: ['logger-*'], timeoutMs: NO_DATA_MS },
      { type: 'rate_of_change', id: 'cell-heating', devices: ['cell-*'], signal: 'temperature_c', per: 'min', windowMs: 60_000, critical: 2, clear: 1 },
      { id: 'hot-while-charging', devices: ['cycler-*'], signal: 'temperature_c', critical: 45, clear: 40, when: { states: { status: ['Charge'] } } },
    ],
    email: { smtp: { host: env.smtp.host, port: env.smtp.port }, from: 'busbar@lab.test', to: [env.smtp.address] },
    outbox: { retryInitialMs: 100, retryMaxMs: 1000 },
    ops: { port: 0 },
  });
  env.services.push(await startModbusCollector(collectorCfg, deps), await startAlerter(alerterCfg, deps));
  await env.readings.waitFor((r) => r.device_id === 'psu-1', 1, 30_000);
}, 240_000);

afterAll(() => env?.stop(() => sim?.close()), 120_000);

describe('e2e > device health alerts', () => {
  it('mails a disconnect that lasts the configured time, and a RESOLVED when the device is back', async () => {
    const port = sim.port;
    const stoppedAt = Date.now();
    await sim.close();
    const [down] = await env.events.waitFor((e) => e.device_id === 'psu-1' && e.kind === 'DISCONNECTED', 1, 30_000);
    const firing = await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar CRITICAL] psu-1: disconnected_s'), 30_000);
    const firedAfterMs = Date.now() - stoppedAt;
    expect(firing.text).toContain('DISCONNECTED');
    expect(firing.text).toContain('(rule psu-down)');
    const [fired] = await env.alerts.waitFor((a) => a.rule === 'psu-down' && a.state === 'FIRING');
    expect(fired!.timestamp.getTime() - down!.timestamp.getTime()).toBe(DISCONNECT_FOR_MS); // fired at the deadline
    expect(fired!.value).toBe(DISCONNECT_FOR_MS / 1000);

    const restartAt = Date.now();
    sim = await startPowerSupplySimulator({ port, seed: 12, tickMs: 50 });
    const resolved = await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar RESOLVED] psu-1: disconnected_s'), 60_000);
    console.log(`[figure] disconnect alert mail ${firedAfterMs} ms after the simulator stopped (rule: ${DISCONNECT_FOR_MS} ms); RESOLVED mail ${Date.now() - restartAt} ms after it restarted`);
    const [back] = await env.alerts.waitFor((a) => a.rule === 'psu-down' && a.state === 'RESOLVED');
    expect(back!.alert_id).toBe(fired!.alert_id);
    expect(resolved.text).toContain(`Alert id:  ${fired!.alert_id}`);
    expect((await mailsAbout('psu-1')).filter((s) => s.includes('disconnected_s'))).toHaveLength(2);
  });

  it('mails a no-data alert for a silent device and a RESOLVED when its data resumes', async () => {
    const reading = (atMs: number): ReadingInput => ({ device_id: 'logger-1', protocol: 'modbus', timestamp: new Date(atMs), values: { voltage_v: 3.7 } });
    const lastAt = Date.now();
    await send([reading(lastAt - 1000), reading(lastAt)]);
    const firing = await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar CRITICAL] logger-1: staleness_s'), 30_000);
    const silentMs = Date.now() - lastAt;
    expect(firing.text).toContain(`no reading for ${NO_DATA_MS / 1000} s`);
    expect(silentMs).toBeGreaterThanOrEqual(NO_DATA_MS); // never before the configured silence
    const resumedAt = Date.now();
    await send([reading(resumedAt)]);
    await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar RESOLVED] logger-1: staleness_s'), 30_000);
    console.log(`[figure] no-data alert mail ${silentMs} ms after the last reading (rule: ${NO_DATA_MS} ms); RESOLVED mail ${Date.now() - resumedAt} ms after data resumed`);
    const episode = env.alerts.where((a) => a.rule === 'logger-silent');
    expect(episode.map((a) => a.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(episode[0]!.alert_id).toBe(episode[1]!.alert_id);
  });

  it('mails a rate-of-change alert: a cell heating 3 °C/min over a 60 s window', async () => {
    const t0 = Date.now() - 120_000;
    // every 10 s of reading time: flat for 60 s, then +0.5 °C per 10 s
    const temps = [25, 25, 25, 25, 25, 25, 25, 25.5, 26, 26.5, 27, 27.5, 28];
    await send(temps.map((t, i) => ({ device_id: 'cell-1', protocol: 'arbin-cti', channel: 2, timestamp: new Date(t0 + i * 10_000), values: { temperature_c: t }, record_type: 'cycler_channel' })));
    const mail = await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar CRITICAL] cell-1 channel 2: temperature_c_per_min'), 30_000);
    expect(mail.text).toContain('(over 60 s)');
    const [fired] = await env.alerts.waitFor((a) => a.rule === 'cell-heating');
    // 25 → 27.5 over 60 s = 2.5 °C/min, the first rate above 2 (at 100 s: exactly 2)
    expect(fired).toMatchObject({ state: 'FIRING', value: 2.5, threshold: 2, signal: 'temperature_c_per_min' });
    expect(fired!.timestamp.getTime()).toBe(t0 + 110_000);
  });

  it('fires a scoped rule only in its state: hot while resting sends nothing, hot while charging one mail', async () => {
    const at = Date.now();
    const r = (status: string, i: number, temperatureC: number): ReadingInput => ({ device_id: 'cycler-1', protocol: 'arbin-cti', channel: 1, timestamp: new Date(at + i * 1000), values: { temperature_c: temperatureC }, states: { status, test_name: 'cell-042' }, record_type: 'cycler_channel' });
    await send([r('Rest', 0, 50), r('Rest', 1, 52), r('Discharge', 2, 55)]);
    // a marker after them in the same partition: once its alert is out, the earlier readings were evaluated
    await send([r('Charge', 3, 50)]);
    await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar CRITICAL] cycler-1 channel 1: temperature_c = 50'), 30_000);
    const alerts = env.alerts.where((a) => a.rule === 'hot-while-charging');
    expect(alerts.map((a) => [a.state, a.value, a.timestamp.getTime() - at])).toEqual([['FIRING', 50, 3000]]);
    await send([r('Rest', 4, 50)]); // leaves the scope: resolves
    await env.smtp.waitFor((m) => subjectOf(m).startsWith('[Busbar RESOLVED] cycler-1 channel 1: temperature_c'), 30_000);
    expect((await mailsAbout('cycler-1')).map((s) => s.split(']')[0])).toEqual(['[Busbar CRITICAL', '[Busbar RESOLVED']);
  });
});
