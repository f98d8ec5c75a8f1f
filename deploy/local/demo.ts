/**
 * `npm run demo`: the whole pipeline on this machine, every service a separate process, then a
 * short scenario that shows where to look.
 *
 *   npx tsx --conditions=@busbar/source deploy/local/demo.ts [--once] [--run-dir .busbar/demo]
 *     [--log-level info] [--without-arbin] [--without-maccor] [--without-corus] [--without-basytec] [--without-rig] [--containers]
 *
 * Devices (plugins): a Modbus power supply `psu-1`, an Arbin cycler `arbin-1`, a Maccor tester
 * `maccor-1`, an Itron Corus gas volume converter `corus-1`, a BaSyTec test system `basytec-1` and a
 * battery safety rig `rig-1` (`--without-<x>` leaves one of the last five out, with its collector and
 * its step; the rig is also left out, with a message, when the Python peers are not installed).
 *
 * Steps: (a) psu-1 readings reach InfluxDB; (b) an over-temperature sends an alert mail (and a
 * resolve notice); (c) a `modbus.write` command is EXECUTED and the simulator's set-point changes;
 * (d) Arbin: a channel row in InfluxDB, `arbin.start` then `arbin.set_meta_variable` (1.5 A, within
 * the configured 0..2 A) EXECUTED and the simulated current follows; (e) Maccor: a channel row,
 * `maccor.set_variable` EXECUTED and held by the simulator; (f) Corus: an exact decimal as published
 * next to InfluxDB's float, `corus.write_parameters` EXECUTED and held by the simulator; (h) BaSyTec:
 * a Resultfile row, a plan started and stopped over RCI; (i) safety rig: BMU/PCS/Arduino rows, a
 * scripted over-temperature walking the interlock normal → warning → dangerous → safe (PCS off,
 * relays open), the latch holding, `rig.reset_latch` refused then EXECUTED; (g) ops
 * endpoints and logs. `--containers` runs every service in a container of the Busbar image under
 * podman (scripts/image/build.sh first; Kafka, InfluxDB and the simulators stay native). Without `--once` the stack keeps running until Ctrl-C (SIGINT) or SIGTERM;
 * with `--once` it stops after the scenario. Exit code: 0 when every step passed and every service
 * exited 0, 1 otherwise, 2 when the stack could not start.
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from '@influxdata/influxdb-client';
import type { CommandResult, DeviceEvent } from '@busbar/avro';
import type { ExactDecimal } from '@busbar/driver-itron-corus';
import { DemoBus, formatResult, until } from './demo-bus.js';
import { arbinCyclers } from './plugins/arbin.js';
import { basytecTesters } from './plugins/basytec.js';
import type { BasytecTesters } from './plugins/basytec.js';
import type { ArbinCyclers } from './plugins/arbin.js';
import { corusConverters } from './plugins/corus.js';
import type { CorusConverters } from './plugins/corus.js';
import { maccorTesters } from './plugins/maccor.js';
import type { MaccorTesters } from './plugins/maccor.js';
import { modbusPowerSupplies } from './plugins/modbus-power-supply.js';
import type { PowerSupplies } from './plugins/modbus-power-supply.js';
import { PCS_OP_MODE, RELAY_PINS, RIG_DEVICE, safetyRig } from './plugins/safety-rig.js';
import type { SafetyRig } from './plugins/safety-rig.js';
import { peersPython } from './rig-peers.js';
import { RUN_FLAGS, imageEnv, podmanGlobalArgs } from './containers.js';
import { REPO_ROOT, startStack, tail } from './stack.js';
import type { DevicePlugin, Stack } from './stack.js';

const { values: args } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    'run-dir': { type: 'string', default: resolve(REPO_ROOT, '.busbar/demo') },
    'log-level': { type: 'string', default: 'info' },
    'without-arbin': { type: 'boolean', default: false },
    'without-maccor': { type: 'boolean', default: false },
    'without-corus': { type: 'boolean', default: false },
    'without-basytec': { type: 'boolean', default: false },
    'without-rig': { type: 'boolean', default: false },
    // every service in a container of the Busbar image under podman (scripts/image/build.sh first)
    containers: { type: 'boolean', default: false },
  },
});

const DEVICE = 'psu-1';
/** The alert rule of the demo: the power supply's heat-sink temperature. */
const RULE = { id: 'psu-overtemp', devices: [DEVICE], signal: 'temperature_c', direction: 'above', warning: 70, critical: 80, clear: 60, forMs: 0 };

const rel = (p: string): string => relative(process.cwd(), p) || '.';
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const heading = (title: string): void => say(`\n== ${title}`);

/** (a) Readings in InfluxDB. */
async function stepInflux(stack: Stack): Promise<void> {
  heading('(a) readings in InfluxDB');
  const { url, org, bucket, token } = stack.influx;
  const flux = `from(bucket: "${bucket}") |> range(start: -5m) |> filter(fn: (r) => r._measurement == "modbus:power-supply" and r.device == "${DEVICE}" and r._field == "temperature_c") |> last()`;
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
async function stepCommand(stack: Stack, bus: DemoBus, sims: PowerSupplies): Promise<void> {
  heading('(c) command');
  const sim = sims.get(DEVICE)!;
  await bus.ready();
  const before = sim.state().voltageSetpointV;
  const commandId = await bus.send({ target: { device_id: DEVICE }, action: 'modbus.write', parameters: { point: 'voltage_setpoint_v', value: 24 } });
  say(`sent to ${stack.topics.commands}: ${commandId} modbus.write ${DEVICE} voltage_setpoint_v = 24 (was ${before})`);
  const r = await until(`the result of ${commandId} on ${stack.topics.commandResults}`, 30_000, () => bus.resultOf(commandId));
  say(`Result on ${stack.topics.commandResults}: ${r.status} command_id=${r.command_id} device=${r.device_id} action=${r.action}${r.reason_code ? ` reason_code=${r.reason_code} reason=${r.reason ?? ''}` : ''} at ${r.timestamp.toISOString()}`);
  say(`Simulator set-point now: voltage_setpoint_v = ${sim.state().voltageSetpointV} V`);
  if (r.status !== 'EXECUTED') throw new Error(`the command was ${r.status}, not EXECUTED`);
  if (sim.state().voltageSetpointV !== 24) throw new Error(`the simulator's set-point is ${sim.state().voltageSetpointV}, not 24`);
}

/** The newest value of one field of one series in InfluxDB (waits until there is one). */
async function lastInflux(stack: Stack, what: string, filter: string, timeoutMs = 60_000): Promise<{ flux: string; row: Record<string, unknown> }> {
  const { url, org, bucket, token } = stack.influx;
  const flux = `from(bucket: "${bucket}") |> range(start: -5m) |> filter(fn: (r) => ${filter}) |> last()`;
  const api = new InfluxDB({ url, token }).getQueryApi(org);
  const row = await until(what, timeoutMs, async () => (await api.collectRows<Record<string, unknown>>(flux))[0]);
  return { flux, row };
}

/** `InfluxDB row: _time=... _measurement=... device=... [channel=...] _field=... _value=...`. */
function rowLine(row: Record<string, unknown>): string {
  const channel = row.channel === undefined ? '' : ` channel=${String(row.channel)}`;
  return `InfluxDB row: _time=${String(row._time)} _measurement=${String(row._measurement)} device=${String(row.device)}${channel} _field=${String(row._field)} _value=${String(row._value)}`;
}

/** Fails the step unless the result is EXECUTED. */
function expectExecuted(r: CommandResult): void {
  if (r.status !== 'EXECUTED') throw new Error(`${r.action} was ${r.status}, not EXECUTED${r.reason_code ? ` (${r.reason_code}: ${r.reason ?? ''})` : ''}`);
}

/**
 * (d) Arbin: channel readings in InfluxDB; a schedule started on channel 1, then its charge current
 * (MV_UD1, allowed 0..2 A by the configuration) set to 1.5 A: the simulated channel follows.
 */
async function stepArbin(stack: Stack, bus: DemoBus, sims: ArbinCyclers): Promise<void> {
  heading('(d) Arbin cycler');
  const id = 'arbin-1';
  const sim = sims.get(id)!;
  const { flux, row } = await lastInflux(stack, `an ${id} channel 1 reading in InfluxDB`, `r._measurement == "cycler_channel" and r.device == "${id}" and r.channel == "0001" and r._field == "voltage_v"`);
  say(`Flux:     ${flux}`);
  say(rowLine(row));
  const start = await bus.command({ target: { device_id: id, channel: 1 }, action: 'arbin.start', parameters: { schedule: 'Busbar_CC.sdx', test_name: 'busbar-demo' } });
  say(`Result on ${stack.topics.commandResults}: ${formatResult(start.result)}`);
  expectExecuted(start.result);
  const before = await until(`${id} channel 1 charging`, 10_000, () => (sim.channel(1).current_a > 0 ? sim.channel(1).current_a : undefined));
  say(`Simulator channel 1: ${sim.channel(1).status_name}, current_a = ${before} A (MV_UD1 not set: the schedule's default)`);
  const set = await bus.command({ target: { device_id: id, channel: 1 }, action: 'arbin.set_meta_variable', parameters: { mv: 1, value: 1.5 } });
  say(`sent arbin.set_meta_variable ${id} channel 1 MV_UD1 (charge_current_a, allowed 0..2 A) = 1.5`);
  say(`Result on ${stack.topics.commandResults}: ${formatResult(set.result)}`);
  expectExecuted(set.result);
  const after = await until(`${id} channel 1 current at 1.5 A`, 10_000, () => (Math.abs(sim.channel(1).current_a - 1.5) < 1e-6 ? sim.channel(1).current_a : undefined));
  say(`Simulator channel 1 current now: current_a = ${after} A (was ${before} A)`);
}

/**
 * (h) BaSyTec: rows of the growing Resultfile in InfluxDB (channel 3); a prepared plan started and
 * stopped on channel 2 over the RCI templates (the collector owns the RCI connection).
 */
async function stepBasytec(stack: Stack, bus: DemoBus, sims: BasytecTesters): Promise<void> {
  heading('(h) BaSyTec tester');
  const id = 'basytec-1';
  const { flux, row } = await lastInflux(stack, `a ${id} channel 3 reading in InfluxDB`, `r._measurement == "cycler_channel" and r.device == "${id}" and r.channel == "0003" and r._field == "voltage_v"`);
  say(`Flux:     ${flux}`);
  say(rowLine(row));
  for (const [action, parameters] of [['basytec.start_test', { plan: 'capacity.pln' }], ['basytec.stop_test', {}]] as const) {
    const r = await bus.command({ target: { device_id: id, channel: 2 }, action, parameters });
    say(`Result on ${stack.topics.commandResults}: ${formatResult(r.result)}`);
    expectExecuted(r.result);
    say(`Simulator channel 2 now: ${sims.rci.channels.get('2') ?? 'idle'} (RCI lines received: ${sims.rci.received.map((x) => x.line).join(' | ')})`);
  }
}

/** (e) Maccor: channel readings in InfluxDB; `maccor.set_variable` VAR1 = 0.5 on channel 3. */
async function stepMaccor(stack: Stack, bus: DemoBus, sims: MaccorTesters): Promise<void> {
  heading('(e) Maccor tester');
  const id = 'maccor-1';
  const sim = sims.get(id)!;
  const { flux, row } = await lastInflux(stack, `a ${id} channel 1 reading in InfluxDB`, `r._measurement == "cycler_channel" and r.device == "${id}" and r.channel == "0001" and r._field == "voltage_v"`);
  say(`Flux:     ${flux}`);
  say(rowLine(row));
  const before = sim.channel(3).vars[0];
  const set = await bus.command({ target: { device_id: id, channel: 3 }, action: 'maccor.set_variable', parameters: { var_num: 1, value: 0.5 } });
  say(`sent maccor.set_variable ${id} channel 3 VAR1 = 0.5 (was ${before})`);
  say(`Result on ${stack.topics.commandResults}: ${formatResult(set.result)}`);
  expectExecuted(set.result);
  const now = sim.channel(3).vars[0];
  say(`Simulator channel 3 now: VAR1 = ${now}`);
  if (now !== 0.5) throw new Error(`the simulator's channel 3 VAR1 is ${now}, not 0.5`);
}

/**
 * (f) Corus: one parameter poll as published (exact decimal) and as stored by InfluxDB (float);
 * `corus.write_parameters` of `display_contrast`.
 */
async function stepCorus(stack: Stack, bus: DemoBus, sims: CorusConverters): Promise<void> {
  heading('(f) Corus gas volume converter');
  const id = 'corus-1';
  const sim = sims.get(id)!;
  const field = 'volume_converted_m3';
  const reading = await bus.reading(`a ${id} parameter poll on ${stack.topics.readings}`, (r) => r.device_id === id && r.states.log === undefined && r.exact_values[field] !== undefined);
  const exact = reading.exact_values[field]!;
  const at = reading.timestamp.toISOString();
  const { flux, row } = await lastInflux(stack, `the ${id} poll of ${at} in InfluxDB`, `r._measurement == "meter_poll" and r.device == "${id}" and r._field == "${field}" and r._time == time(v: "${at}")`);
  say(`Flux:     ${flux}`);
  say(rowLine(row));
  const float = Number(row._value);
  say(`Exact value on ${stack.topics.readings}: ${id} ${field} = ${exact} (exact_values, decimal text); InfluxDB float: ${String(float)} (binary64 ${float.toPrecision(17)})`);
  if (float !== Number(exact)) throw new Error(`InfluxDB holds ${float}, not the float of ${exact}`);
  const before = (sim.parameter('display_contrast') as ExactDecimal).toString();
  const value = before === '9' ? '7' : '9';
  const write = await bus.command({ target: { device_id: id }, action: 'corus.write_parameters', parameters: { display_contrast: value } });
  say(`sent corus.write_parameters ${id} display_contrast = ${value} (was ${before})`);
  say(`Result on ${stack.topics.commandResults}: ${formatResult(write.result)}`);
  expectExecuted(write.result);
  const now = (sim.parameter('display_contrast') as ExactDecimal).toString();
  say(`Simulator parameter now: display_contrast = ${now}`);
  if (now !== value) throw new Error(`the simulator's display_contrast is ${now}, not ${value}`);
}

/** `interlock normal → warning: rule=... input=... quantity=... value=... limit=... level=... (reason) at <ISO time>` for a STATE_CHANGE event. */
function transitionLine(e: DeviceEvent): string {
  const d = e.details;
  const what = ['rule', 'input', 'quantity', 'value', 'limit', 'level'].filter((k) => d[k] !== undefined).map((k) => `${k}=${d[k]}`).join(' ');
  const why = e.reason ? `(${e.reason})` : '';
  return `interlock ${e.previous_state ?? '?'} → ${e.state ?? '?'}: ${[what, why].filter((x) => x !== '').join(' ')} at ${e.timestamp.toISOString()}`;
}

/**
 * (i) Safety rig: a BMU, PCS and Arduino row from InfluxDB; relays closed by `rig.set_outputs`; a
 * scripted over-temperature (BMU 1's `CMA_Max_Temp` 40 °C, then 60 °C: the example's
 * module_temperature_high, warning 30 / dangerous 50) walks the interlock normal → warning →
 * dangerous → safe, PCS op mode 0 written over RTU and the relays opened; the latch holds while
 * `rig.reset_latch` is refused, and after the temperature returns to 25 °C the reset is EXECUTED.
 */
async function stepRig(stack: Stack, bus: DemoBus, rig: SafetyRig): Promise<void> {
  heading('(i) battery safety rig');
  const id = RIG_DEVICE;
  for (const [source, field, extra] of [['bmu', 'max_temperature_c', ' and r.channel == "0001"'], ['pcs', 'battery_voltage_v', ''], ['arduino', 'temperature_1_c', '']] as const) {
    const { row } = await lastInflux(stack, `a ${id} rig:${source} reading in InfluxDB`, `r._measurement == "rig:${source}" and r.device == "${id}" and r._field == "${field}"${extra}`);
    say(rowLine(row));
  }
  // a busy machine may have tripped the rig on a stale input while the stack came up: start from normal
  const first = await bus.reading(`a ${id} PCS reading`, (r) => r.device_id === id && r.states.source === 'pcs' && r.timestamp.getTime() > Date.now() - 2000, 15_000);
  if (first.states.interlock !== 'normal') {
    const r = await bus.command({ target: { device_id: id }, action: 'rig.reset_latch', parameters: {} });
    say(`interlock ${first.states.interlock ?? '?'} after start-up (a stale input): ${formatResult(r.result)}`);
  }
  const stepStart = Date.now();
  const transition = async (from: string, to: string): Promise<DeviceEvent> => {
    const e = await bus.event(`the ${id} interlock ${from} → ${to} on ${stack.topics.deviceEvents}`, (x) => x.device_id === id && x.previous_state === from && x.state === to && x.timestamp.getTime() >= stepStart);
    say(`Event on ${stack.topics.deviceEvents}: ${transitionLine(e)}`);
    return e;
  };
  const relays = (): string => Object.entries(RELAY_PINS).map(([name, pin]) => `${name}(pin ${pin})=${rig.sketch.pins.get(pin) === true ? 'closed' : 'open'}`).join(' ');
  const closed = await bus.command({ target: { device_id: id }, action: 'rig.set_outputs', parameters: { relay1: true, relay2: true, relay3: true } });
  say(`Result on ${stack.topics.commandResults}: ${formatResult(closed.result)}`);
  expectExecuted(closed.result);
  await until('the relays closed at the sketch', 15_000, () => (Object.values(RELAY_PINS).every((p) => rig.sketch.pins.get(p) === true) ? true : undefined));
  say(`Arduino relays: ${relays()}`);
  const modesBefore = (await rig.pcs.written(PCS_OP_MODE)).length;

  say('over-temperature: BMS simulator BMU 1 CMA_Max_Temp = 40 °C (rule module_temperature_high: warning above 30, dangerous above 50 °C)');
  rig.bms.command('set 1 CMA_Max_Temp 40');
  await transition('normal', 'warning');
  say('over-temperature: BMS simulator BMU 1 CMA_Max_Temp = 60 °C');
  rig.bms.command('set 1 CMA_Max_Temp 60');
  await transition('warning', 'dangerous');
  await transition('dangerous', 'safe');
  const modes = await until('PCS op mode 0 written over RTU', 10_000, async () => {
    const w = (await rig.pcs.written(PCS_OP_MODE)).slice(modesBefore);
    return w.includes(0) ? w : undefined;
  });
  say(`PCS (pymodbus RTU) op mode register ${PCS_OP_MODE} written: ${modes.join(', ')} (0 = off)`);
  await until('the relays open at the sketch', 15_000, () => (Object.values(RELAY_PINS).every((p) => rig.sketch.pins.get(p) === false) ? true : undefined));
  say(`Arduino relays: ${relays()}`);

  const refused = await bus.command({ target: { device_id: id }, action: 'rig.reset_latch', parameters: {} });
  say(`Result on ${stack.topics.commandResults}: ${formatResult(refused.result)}`);
  if (refused.result.status !== 'REJECTED') throw new Error(`rig.reset_latch was ${refused.result.status} while 60 °C persists, not REJECTED`);
  say('over-temperature cleared: BMS simulator BMU 1 CMA_Max_Temp = 25 °C');
  rig.bms.command('set 1 CMA_Max_Temp 25');
  const since = Date.now();
  await bus.reading(`a ${id} BMU 1 reading at 25 °C`, (r) => r.device_id === id && r.channel === 1 && r.timestamp.getTime() > since && r.values.max_temperature_c === 25, 15_000);
  const latched = await bus.reading(`a ${id} PCS reading after the clear`, (r) => r.device_id === id && r.states.source === 'pcs' && r.timestamp.getTime() > since + 500, 15_000);
  say(`latch holds: BMU 1 max_temperature_c = 25, interlock state on the next PCS reading = ${latched.states.interlock ?? '?'}; ${relays()}`);
  if (latched.states.interlock !== 'safe') throw new Error(`the interlock is ${latched.states.interlock ?? '?'} after the clear, not latched in safe`);
  const reset = await bus.command({ target: { device_id: id }, action: 'rig.reset_latch', parameters: {} });
  say(`Result on ${stack.topics.commandResults}: ${formatResult(reset.result)}`);
  expectExecuted(reset.result);
  await transition('safe', 'normal');
}

/** (g) Where to look: ops endpoints, logs, configs. */
async function stepWhere(stack: Stack): Promise<void> {
  heading('(g) services');
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
  const { url, org, bucket, token } = stack.influx;
  say('Grafana dashboards (deploy/grafana/README.md): copy deploy/grafana/provisioning/* into /etc/grafana/provisioning/,');
  say('          deploy/grafana/dashboards/*.json into /var/lib/grafana/dashboards/busbar/, and start Grafana with');
  say(`          BUSBAR_INFLUX_URL=${url} BUSBAR_INFLUX_ORG=${org} BUSBAR_INFLUX_BUCKET=${bucket} BUSBAR_INFLUX_TOKEN=${token}`);
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
  const plugins: DevicePlugin[] = [modbusPowerSupplies({ devices: 1, pollIntervalMs: 500 })];
  if (!args['without-arbin']) plugins.push(arbinCyclers());
  if (!args['without-maccor']) plugins.push(maccorTesters());
  if (!args['without-corus']) plugins.push(corusConverters());
  if (!args['without-basytec']) plugins.push(basytecTesters({ dir: join(args['run-dir'], 'basytec') }));
  // the rig's BMS and PCS simulators are Python peers (python-can, pymodbus): optional
  if (!args['without-rig'] && args.containers) say('(i) safety rig: skipped with --containers: its simulated serial lines are ptys of this host, which a container does not see');
  else if (!args['without-rig'] && peersPython() === undefined) say('(i) safety rig: skipped: the Python peers are not installed (run `bash scripts/peers/setup-venv.sh`, or set BUSBAR_PEERS_PYTHON)');
  else if (!args['without-rig']) plugins.push(safetyRig());
  try {
    stack = await startStack({ runDir: args['run-dir'], plugins, alerterRules: [RULE], commander: true, logLevel: args['log-level'],
      containers: args.containers ? { podman: ['podman', ...podmanGlobalArgs()], runFlags: [...RUN_FLAGS, '--no-healthcheck'], image: imageEnv().image } : undefined, onProgress: (l) => say(`.. ${l}`) });
  } catch (err) {
    say(`\nFAILED to start the stack: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const sims = <S>(plugin: string): S | undefined => stack!.devices.find((d) => d.plugin === plugin)?.simulators as S | undefined;
  const psus = sims<PowerSupplies>('modbus power supply')!;
  const arbin = sims<ArbinCyclers>('arbin cti');
  const maccor = sims<MaccorTesters>('maccor macnet');
  const corus = sims<CorusConverters>('itron corus');
  const basytec = sims<BasytecTesters>('basytec');
  const rig = sims<SafetyRig>('safety rig');
  // the Corus step needs a published reading: the bus keeps that device's parameter polls; the rig step its readings and events
  const bus = new DemoBus({
    brokers: stack.kafka.brokers, topics: stack.topics,
    keepReading: (r) => (r.protocol === 'itron-corus' && r.states.log === undefined) || r.device_id === RIG_DEVICE,
    keepEvent: (e) => e.device_id === RIG_DEVICE && e.kind === 'STATE_CHANGE', maxReadings: 5000,
  });
  bus.ready().catch(() => undefined); // joins its group while (a) and (b) run; a failure shows in the steps that use it
  const failed: string[] = [];
  const steps: [string, () => Promise<void>][] = [
    ['(a) readings in InfluxDB', () => stepInflux(stack!)],
    ['(b) alert e-mail', () => stepAlert(stack!, psus)],
    ['(c) command', () => stepCommand(stack!, bus, psus)],
  ];
  if (arbin) steps.push(['(d) Arbin cycler', () => stepArbin(stack!, bus, arbin)]);
  if (maccor) steps.push(['(e) Maccor tester', () => stepMaccor(stack!, bus, maccor)]);
  if (corus) steps.push(['(f) Corus gas volume converter', () => stepCorus(stack!, bus, corus)]);
  if (basytec) steps.push(['(h) BaSyTec tester', () => stepBasytec(stack!, bus, basytec)]);
  if (rig) steps.push(['(i) battery safety rig', () => stepRig(stack!, bus, rig)]);
  steps.push(['(g) services', () => stepWhere(stack!)]);
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
  await bus.close();
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
