/**
 * `npm run demo`: the whole pipeline on this machine, every service a separate process, then a
 * short scenario that shows where to look.
 *
 *   npx tsx --conditions=@busbar/source deploy/local/demo.ts [--once] [--run-dir .busbar/demo]
 *
 * Steps: (a) readings reach InfluxDB; (b) an over-temperature sends an alert mail (and a resolve
 * notice); (c) a `modbus.write` command is EXECUTED and the simulator's set-point changes;
 * (d) ops endpoints and logs. Without `--once` the stack keeps running until Ctrl-C (SIGINT) or
 * SIGTERM; with `--once` it stops after the scenario. Exit code: 0 when every step passed, 1 when
 * one failed, 2 when the stack could not start.
 */
import { randomUUID } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer } from 'kafkajs';
import type { CommandResult } from '@busbar/avro';
import { commandResultSerde, commandSerde } from '@busbar/avro';
import { modbusPowerSupplies } from './plugins/modbus-power-supply.js';
import type { PowerSupplies } from './plugins/modbus-power-supply.js';
import { REPO_ROOT, startStack, tail } from './stack.js';
import type { Stack } from './stack.js';

const { values: args } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    'run-dir': { type: 'string', default: resolve(REPO_ROOT, '.busbar/demo') },
    'log-level': { type: 'string', default: 'info' },
  },
});

const DEVICE = 'psu-1';
/** The alert rule of the demo: the power supply's heat-sink temperature. */
const RULE = { id: 'psu-overtemp', devices: [DEVICE], signal: 'temperature_c', direction: 'above', warning: 70, critical: 80, clear: 60, forMs: 0 };

const rel = (p: string): string => relative(process.cwd(), p) || '.';
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const heading = (title: string): void => say(`\n== ${title}`);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** (a) Readings in InfluxDB. */
async function stepInflux(stack: Stack): Promise<void> {
  heading('(a) readings in InfluxDB');
  const { url, org, bucket, token } = stack.influx;
  const flux = `from(bucket: "${bucket}") |> range(start: -5m) |> filter(fn: (r) => r._measurement == "modbus" and r.device == "${DEVICE}" and r._field == "temperature_c") |> last()`;
  const api = new InfluxDB({ url, token }).getQueryApi(org);
  const row = await until('a psu-1 reading in InfluxDB', 60_000, async () => (await api.collectRows<Record<string, unknown>>(flux))[0]);
  say(`InfluxDB  url=${url}  org=${org}  bucket=${bucket}`);
  say(`          token=${token}`);
  say(`Flux:     ${flux}`);
  say(`InfluxDB row: _time=${String(row._time)} _measurement=${String(row._measurement)} device=${String(row.device)} _field=${String(row._field)} _value=${String(row._value)}`);
  say(`Try:      curl -s ${url}/api/v2/query?org=${org} -H 'Authorization: Token ${token}' -H 'Content-Type: application/vnd.flux' -d '${flux}'`);
}

/** (b) Over-temperature → alert mail → back to normal → resolve mail. */
async function stepAlert(stack: Stack, sims: PowerSupplies): Promise<void> {
  heading('(b) alert e-mail');
  const sim = sims.get(DEVICE)!;
  const smtp = stack.smtp!;
  say(`rule ${RULE.id}: ${RULE.signal} above warning ${RULE.warning} / critical ${RULE.critical}, clears below ${RULE.clear}`);
  say(`forcing ${DEVICE} temperature_c = 95 in the simulator`);
  sim.forceInput('temperature_c', 95);
  try {
    const mail = await smtp.waitFor((m) => /CRITICAL/.test(m.subject ?? '') && (m.subject ?? '').includes(DEVICE), 30_000);
    const n = smtp.messages.indexOf(mail) + 1;
    say(`Mail subject: ${mail.subject ?? ''}`);
    say(`Saved as: ${rel(`${stack.mailDir}/${n}.eml`)}  (to ${mail.to ? [mail.to].flat().map((a) => a.text).join(', ') : '?'})`);
  } finally {
    sim.forceInput('temperature_c', undefined);
  }
  say(`released the forced temperature (model value ${sim.state().temperatureC.toFixed(1)} °C)`);
  const resolved = await smtp.waitFor((m) => /RESOLVED/.test(m.subject ?? '') && (m.subject ?? '').includes(DEVICE), 30_000);
  say(`Mail subject: ${resolved.subject ?? ''}`);
  say(`Saved as: ${rel(`${stack.mailDir}/${smtp.messages.indexOf(resolved) + 1}.eml`)}`);
}

/** (c) A command through the commander. */
async function stepCommand(stack: Stack, sims: PowerSupplies): Promise<void> {
  heading('(c) command');
  const sim = sims.get(DEVICE)!;
  const kafka = new Kafka({ clientId: 'busbar-demo', brokers: stack.kafka.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  let consumer: Consumer | undefined;
  try {
    const commandId = randomUUID();
    let result: CommandResult | undefined;
    consumer = kafka.consumer({ groupId: `busbar-demo-${commandId}` });
    await consumer.connect();
    await consumer.subscribe({ topic: stack.topics.commandResults, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const r = commandResultSerde.decode(message.value);
        if (r.command_id === commandId) result = r;
      },
    });
    await producer.connect();
    const before = sim.state().voltageSetpointV;
    await producer.send({
      topic: stack.topics.commands,
      messages: [{ key: DEVICE, value: commandSerde.encode({ command_id: commandId, issuer: 'busbar-demo', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000), target: { device_id: DEVICE }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 24 } }) }],
    });
    say(`sent to ${stack.topics.commands}: ${commandId} modbus.write ${DEVICE} voltage_setpoint_v = 24 (was ${before})`);
    const r = await until(`the result of ${commandId} on ${stack.topics.commandResults}`, 30_000, () => result);
    say(`Result on ${stack.topics.commandResults}: ${r.status} command_id=${r.command_id} device=${r.device_id} action=${r.action}${r.reason_code ? ` reason_code=${r.reason_code} reason=${r.reason ?? ''}` : ''} at ${r.timestamp.toISOString()}`);
    say(`Simulator set-point now: voltage_setpoint_v = ${sim.state().voltageSetpointV} V`);
    if (r.status !== 'EXECUTED') throw new Error(`the command was ${r.status}, not EXECUTED`);
    if (sim.state().voltageSetpointV !== 24) throw new Error(`the simulator's set-point is ${sim.state().voltageSetpointV}, not 24`);
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}

/** (d) Where to look: ops endpoints, logs, configs. */
async function stepWhere(stack: Stack): Promise<void> {
  heading('(d) services');
  const unhealthy: string[] = [];
  for (const s of stack.services.values()) {
    const status = await fetch(s.healthUrl, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0);
    if (status !== 200) unhealthy.push(s.name);
    say(`${s.name.padEnd(17)} pid ${String(s.pid).padEnd(8)} healthz ${status === 200 ? 'ok ' : String(status)}  ${s.metricsUrl}  ${s.healthUrl}`);
    say(`${''.padEnd(17)} log ${rel(s.logFile)}  config ${rel(s.configFile)}`);
  }
  say(`Kafka ${stack.kafka.brokers.join(',')} (log ${stack.kafka.logFile}); topics ${Object.values(stack.topics).join(', ')}`);
  say(`InfluxDB ${stack.influx.url} (log ${stack.influx.logFile}); SMTP sink ${stack.smtp ? `${stack.smtp.host}:${stack.smtp.port}, mail in ${rel(stack.mailDir)}` : 'none'}`);
  for (const d of stack.devices) for (const line of d.describe()) say(`device ${line}`);
  if (unhealthy.length > 0) throw new Error(`unhealthy: ${unhealthy.join(', ')}`);
}

async function main(): Promise<number> {
  let stack: Stack | undefined;
  let signalled: string | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: string): void => {
    if (signalled) return;
    signalled = sig;
    say(`\n${sig}: stopping`);
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  say(`busbar demo — run directory ${rel(args['run-dir'])}`);
  const psu = modbusPowerSupplies({ devices: 1, pollIntervalMs: 500 });
  try {
    stack = await startStack({ runDir: args['run-dir'], plugins: [psu], alerterRules: [RULE], commander: true, logLevel: args['log-level'], onProgress: (l) => say(`.. ${l}`) });
  } catch (err) {
    say(`\nFAILED to start the stack: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const sims = stack.devices[0]!.simulators as PowerSupplies;
  const failed: string[] = [];
  const steps: [string, () => Promise<void>][] = [
    ['(a) readings in InfluxDB', () => stepInflux(stack!)],
    ['(b) alert e-mail', () => stepAlert(stack!, sims)],
    ['(c) command', () => stepCommand(stack!, sims)],
    ['(d) services', () => stepWhere(stack!)],
  ];
  for (const [name, run] of steps) {
    if (signalled) break;
    try {
      await run();
    } catch (err) {
      failed.push(name);
      say(`FAILED ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // a service that died on the way is a failure too
  for (const s of stack.services.values()) {
    if (!s.running()) {
      failed.push(`${s.name} exited`);
      say(`FAILED: ${s.name} is no longer running; its log ends with:\n${tail(s.logFile)}`);
    }
  }
  say(`\n${failed.length === 0 ? 'demo scenario: all steps passed' : `demo scenario: ${failed.length} failed: ${failed.join('; ')}`}`);

  if (!args.once && !signalled) {
    say('the stack keeps running; Ctrl-C stops it');
    await new Promise<void>((r) => (wake = r));
  }
  const codes = await stack.stop();
  const bad = Object.entries(codes).filter(([, c]) => c !== 0);
  say(`stopped: ${Object.entries(codes).map(([n, c]) => `${n} exit ${String(c)}`).join(', ')}`);
  if (bad.length > 0) failed.push(`non-zero exit of ${bad.map(([n]) => n).join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`busbar demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
