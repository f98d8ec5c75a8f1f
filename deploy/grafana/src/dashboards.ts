/**
 * Busbar's Grafana dashboards as code (`@grafana/grafana-foundation-sdk`), over the InfluxDB data
 * model v2 (docs/data-model.md): fleet overview, cycler channel, meter, safety rig and Busbar service views.
 * `generate.ts` writes them to `dashboards/*.json`, which `provisioning/dashboards/busbar.yaml`
 * loads; `test/grafana/` runs every query against a real InfluxDB filled the way the demo fills it.
 *
 * Every query is Flux on the provisioned data source {@link DATASOURCE}; `${bucket}` is a dashboard
 * variable (default `busbar`). Until the Maccor and Corus collectors set `record_type`, their readings
 * sit in the fallback measurements `maccor-macnet` and `itron-corus`: the selectors below include them
 * ({@link CYCLER}, {@link METER}); drop those clauses once no such data is kept.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { AnnotationQueryBuilder, CustomVariableBuilder, DashboardBuilder, QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, FluxQueryBuilder } from './flux.js';

const FROM = 'from(bucket: "${bucket}")';
const RANGE = '|> range(start: v.timeRangeStart, stop: v.timeRangeStop)';
/** Cycler channel readings: `cycler_channel`, and Maccor's fallback measurement until it sets record_type. */
export const CYCLER = '(r._measurement == "cycler_channel" or r._measurement == "maccor-macnet")';
/** Meter readings: `meter_poll`, `meter_log:<log>`, and Corus' fallback measurement until it sets record_type. */
export const METER = '(r._measurement == "meter_poll" or r._measurement =~ /^meter_log:/ or r._measurement == "itron-corus")';
const METER_LOG = '(r._measurement =~ /^meter_log:/ or (r._measurement == "itron-corus" and exists r.log))';
const METER_POLL = '(r._measurement == "meter_poll" or (r._measurement == "itron-corus" and not exists r.log))';
/** One cycler channel, one test or all (`__all`). */
const CHANNEL = `${CYCLER} and r.device == "\${device}" and r.channel == "\${channel}" and ("\${test}" == "__all" or r.test_name == "\${test}")`;

/** Columns each panel's result has, by dashboard uid and panel title: what test/grafana asserts. */
export const EXPECTED_COLUMNS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {};

type AnyPanel = Builder<Panel>;
interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly flux: string;
  readonly columns: readonly string[];
  readonly kind: 'timeseries' | 'table' | 'stat';
  readonly unit?: string;
  readonly w: number;
  readonly h: number;
}

/** A panel with one Flux target, placed left to right, 24 columns wide rows. */
function panels(uid: string, specs: readonly PanelSpec[]): AnyPanel[] {
  const columns: Record<string, readonly string[]> = {};
  let x = 0;
  let y = 0;
  let rowH = 0;
  const out = specs.map((s, i) => {
    if (x + s.w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const gridPos = { x, y, w: s.w, h: s.h };
    x += s.w;
    rowH = Math.max(rowH, s.h);
    columns[s.title] = s.columns;
    const target = new FluxQueryBuilder(s.flux).refId('A');
    const common = { id: i + 1, gridPos };
    if (s.kind === 'timeseries') {
      const legend = new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom);
      const p = new TimeSeriesPanel().id(common.id).title(s.title).description(s.description).datasource(DATASOURCE).gridPos(gridPos).legend(legend).withTarget(target);
      return s.unit === undefined ? p : p.unit(s.unit);
    }
    if (s.kind === 'stat') {
      const p = new StatPanel().id(common.id).title(s.title).description(s.description).datasource(DATASOURCE).gridPos(gridPos).withTarget(target);
      return s.unit === undefined ? p : p.unit(s.unit);
    }
    return new TablePanel().id(common.id).title(s.title).description(s.description).datasource(DATASOURCE).gridPos(gridPos).withTarget(target);
  });
  (EXPECTED_COLUMNS as Record<string, Readonly<Record<string, readonly string[]>>>)[uid] = columns;
  return out;
}

/** The `bucket` variable: the InfluxDB bucket the historian writes (its `influx.bucket`). */
const bucketVariable = (): CustomVariableBuilder => new CustomVariableBuilder('bucket').label('bucket').values('busbar').current({ text: 'busbar', value: 'busbar' });

/** A Flux query variable on tag values (`schema.tagValues`, last 30 days). */
function tagVariable(name: string, label: string, tag: string, predicate: string, all = false): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(`import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "\${bucket}", tag: "${tag}", predicate: (r) => ${predicate}, start: -30d)`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  return all ? v.includeAll(true).allValue('__all') : v;
}

/** An annotation from a Flux query whose rows carry `_time` and the `text` field as `_value`. */
function annotation(name: string, color: string, flux: string): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder().name(name).datasource(DATASOURCE).enable(true).iconColor(color).target(new FluxQueryBuilder(flux));
}

/** Fleet overview: devices up or down, last reading age, alerts firing, readings per minute. */
export function fleetOverview(): Dashboard {
  const uid = 'busbar-fleet';
  const b = new DashboardBuilder('Busbar / Fleet overview').uid(uid).tags(['busbar']).time({ from: 'now-1h', to: 'now' }).refresh('30s').withVariable(bucketVariable());
  for (const p of panels(uid, [
    {
      title: 'Devices: connection', kind: 'table', w: 12, h: 8, columns: ['device', 'state', 'since', 'reason'],
      description: 'Last CONNECTED or DISCONNECTED event of each device (measurement device_event), 30 days back.',
      flux: `${FROM} |> range(start: -30d) |> filter(fn: (r) => r._measurement == "device_event" and r._field == "text" and (r.kind == "CONNECTED" or r.kind == "DISCONNECTED")) |> group(columns: ["device"]) |> last() |> map(fn: (r) => ({ device: r.device, state: if r.kind == "CONNECTED" then "up" else "down", since: r._time, reason: r._value })) |> group()`,
    },
    {
      title: 'Devices: last reading', kind: 'table', w: 12, h: 8, columns: ['device', 'protocol', 'measurement', 'last_reading', 'age_s', 'quality'],
      description: 'Time and age (s) of the newest reading of each device and measurement, and its quality, 24 h back.',
      flux: `${FROM} |> range(start: -24h) |> filter(fn: (r) => r._field == "quality") |> group(columns: ["device", "protocol", "_measurement"]) |> last() |> map(fn: (r) => ({ device: r.device, protocol: r.protocol, measurement: r._measurement, last_reading: r._time, age_s: float(v: int(v: now()) - int(v: r._time)) / 1000000000.0, quality: r._value })) |> group()`,
    },
    {
      title: 'Alerts firing', kind: 'table', w: 12, h: 8, columns: ['_time', 'device', 'rule', 'signal', 'severity', '_value'],
      description: 'Rules whose last FIRING/RESOLVED transition (measurement alert) is FIRING, 30 days back — acknowledged episodes included (they still fire). Acknowledgements are left out of "last": they carry the wall-clock time of the ack, the transitions the time of their readings.',
      flux: `${FROM} |> range(start: -30d) |> filter(fn: (r) => r._measurement == "alert" and r._field == "text" and r.state != "ACKNOWLEDGED") |> group(columns: ["device", "rule", "signal"]) |> last() |> filter(fn: (r) => r.state == "FIRING") |> keep(columns: ["_time", "device", "rule", "signal", "severity", "_value"]) |> group()`,
    },
    {
      title: 'Readings per minute by protocol', kind: 'timeseries', w: 12, h: 8, columns: ['_time', '_value', 'protocol'],
      description: 'Readings stored per minute (one quality field per reading).',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => r._field == "quality") |> group(columns: ["protocol"]) |> aggregateWindow(every: 1m, fn: count, createEmpty: false)`,
    },
  ])) b.withPanel(p);
  return b.build();
}

/** Cycler channel: V, I, T and capacity of one channel by test and step, with event, command and alert annotations. */
export function cyclerChannel(): Dashboard {
  const uid = 'busbar-cycler-channel';
  const b = new DashboardBuilder('Busbar / Cycler channel').uid(uid).tags(['busbar', 'cycler']).time({ from: 'now-6h', to: 'now' }).refresh('30s')
    .withVariable(bucketVariable())
    .withVariable(tagVariable('device', 'device', 'device', CYCLER))
    .withVariable(tagVariable('channel', 'channel', 'channel', `${CYCLER} and r.device == "\${device}"`))
    .withVariable(tagVariable('test', 'test', 'test_name', `${CYCLER} and r.device == "\${device}" and r.channel == "\${channel}"`, true))
    .annotation(annotation('Device events', 'orange', `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "device_event" and r.device == "\${device}" and (not exists r.channel or r.channel == "\${channel}") and r._field == "text")`))
    .annotation(annotation('Commands', 'blue', `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "command_result" and r.device == "\${device}" and (not exists r.channel or r.channel == "\${channel}") and r._field == "text")`))
    // alert transitions of the channel (and device-wide ones): FIRING, ACKNOWLEDGED (who, why), RESOLVED
    .annotation(annotation('Alerts', 'red', `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "alert" and r.device == "\${device}" and (not exists r.channel or r.channel == "\${channel}") and r._field == "text")`));
  const series = (field: string): string => `${FROM} ${RANGE} |> filter(fn: (r) => ${CHANNEL} and ${field}) |> aggregateWindow(every: v.windowPeriod, fn: mean, createEmpty: false)`;
  for (const p of panels(uid, [
    { title: 'Voltage', kind: 'timeseries', unit: 'volt', w: 12, h: 8, columns: ['_time', '_value', '_field', 'device', 'channel'], description: 'voltage_v of the channel.', flux: series('r._field == "voltage_v"') },
    { title: 'Current', kind: 'timeseries', unit: 'amp', w: 12, h: 8, columns: ['_time', '_value', '_field', 'device', 'channel'], description: 'current_a of the channel (positive = charge).', flux: series('r._field == "current_a"') },
    { title: 'Temperature', kind: 'timeseries', unit: 'celsius', w: 12, h: 8, columns: ['_time', '_value', '_field', 'device', 'channel'], description: 'Temperature fields of the channel (…temperature…_c, e.g. aux_temperature_1_c).', flux: series('r._field =~ /temperature.*_c$/') },
    {
      title: 'Capacity', kind: 'timeseries', unit: 'amph', w: 12, h: 8, columns: ['_time', '_value', '_field', 'device', 'channel'],
      description: 'Charge and discharge capacity (Ah) of the channel.', flux: series('(r._field == "charge_capacity_ah" or r._field == "discharge_capacity_ah" or r._field == "capacity_ah")'),
    },
    {
      title: 'Capacity by test and step', kind: 'table', w: 16, h: 8, columns: ['test_name', 'cycle_index', 'step_index', 'charge_capacity_ah', 'discharge_capacity_ah', '_time'],
      description: 'Last charge/discharge capacity (Ah) of each cycle and step of each test on the channel.',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => ${CHANNEL} and (r._field == "charge_capacity_ah" or r._field == "discharge_capacity_ah" or r._field == "cycle_index" or r._field == "step_index")) |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> group(columns: ["test_name", "cycle_index", "step_index"]) |> last(column: "_time") |> keep(columns: ["test_name", "cycle_index", "step_index", "charge_capacity_ah", "discharge_capacity_ah", "_time"]) |> group()`,
    },
    {
      title: 'Channel state', kind: 'table', w: 8, h: 8, columns: ['_time', 'status', 'state', 'step_name'],
      description: 'Last status, state and step of the channel.',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => ${CHANNEL} and (r._field == "status" or r._field == "state" or r._field == "step_name")) |> last() |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> keep(columns: ["_time", "status", "state", "step_name"]) |> group()`,
    },
  ])) b.withPanel(p);
  return b.build();
}

/** Meter view: log values as floats, exact values as the device gave them, parameter polls. */
export function meterView(): Dashboard {
  const uid = 'busbar-meter';
  const b = new DashboardBuilder('Busbar / Meter').uid(uid).tags(['busbar', 'meter']).time({ from: 'now-24h', to: 'now' }).refresh('1m')
    .withVariable(bucketVariable())
    .withVariable(tagVariable('device', 'device', 'device', METER))
    .withVariable(tagVariable('log', 'log', 'log', `${METER} and r.device == "\${device}"`))
    .annotation(annotation('Device events', 'orange', `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "device_event" and r.device == "\${device}" and r._field == "text")`));
  const log = `${METER_LOG} and r.device == "\${device}" and r.log == "\${log}"`;
  for (const p of panels(uid, [
    {
      title: 'Log values', kind: 'timeseries', w: 24, h: 9, columns: ['_time', '_value', '_field', 'device', 'log'],
      description: 'Numeric fields of the log records (floats; the exact text is in the table below).',
      flux: `import "types"\n${FROM} ${RANGE} |> filter(fn: (r) => ${log}) |> filter(fn: (r) => types.isType(v: r._value, type: "float"))`,
    },
    {
      title: 'Last log record: exact values', kind: 'table', w: 12, h: 8, columns: ['_time', 'device', 'log'],
      description: 'The newest log record, every exact decimal as the device gave it (<name>_exact fields: billing-grade).',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => ${log} and r._field =~ /_exact$/) |> last() |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> drop(columns: ["_start", "_stop", "_measurement", "protocol"]) |> group()`,
    },
    {
      title: 'Last parameter poll: exact values', kind: 'table', w: 12, h: 8, columns: ['_time', 'device', 'volume_converted_m3_exact'],
      description: 'The newest parameter poll of the meter, exact decimals as text.',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => ${METER_POLL} and r.device == "\${device}" and r._field =~ /_exact$/) |> last() |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> drop(columns: ["_start", "_stop", "_measurement", "protocol"]) |> group()`,
    },
  ])) b.withPanel(p);
  return b.build();
}

/** The safety rig's readings: `rig:bmu` (one BMU node's PDO snapshot, channel = node id), `rig:pcs`, `rig:arduino`. */
export const RIG = 'r._measurement =~ /^rig:/';
/** A rig event's text (`device_event`, historian `records.ts`) for an interlock transition: `STATE_CHANGE <from> → <state>`. */
const RIG_STATE_TEXT = '/^STATE_CHANGE [a-z]+ → (normal|warning|dangerous|safe)/';

/**
 * Safety rig (packages/modules/safety-rig): BMU cell voltages and temperatures per node, PCS power and
 * the set-points the rig sent (manual, schedule, interlock), Arduino sensors and relay outputs, the
 * interlock state; annotations for the interlock's transitions and for its actions and faults.
 */
export function rigView(): Dashboard {
  const uid = 'busbar-rig';
  const dev = 'r.device == "${device}"';
  const b = new DashboardBuilder('Busbar / Safety rig').uid(uid).tags(['busbar', 'rig']).time({ from: 'now-1h', to: 'now' }).refresh('10s')
    .withVariable(bucketVariable())
    .withVariable(tagVariable('device', 'rig', 'device', RIG))
    .annotation(annotation('Safety state', 'red', `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "device_event" and ${dev} and r._field == "text" and r.kind == "STATE_CHANGE" and r._value =~ ${RIG_STATE_TEXT})`))
    .annotation(annotation('Rig actions and faults', 'purple', `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "device_event" and ${dev} and r._field == "text" and (r.kind == "FAULT" or r._value =~ /^STATE_CHANGE (action|schedule):/))`));
  const series = (measurement: string, field: string): string => `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "${measurement}" and ${dev} and ${field}) |> aggregateWindow(every: v.windowPeriod, fn: mean, createEmpty: false)`;
  /** Rig events whose `state` field matches `stateRegex`, one row per event with its text and details. */
  const eventTable = (stateRegex: string): string =>
    `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "device_event" and ${dev} and (r._field == "text" or r._field == "state" or r._field == "details")) |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> filter(fn: (r) => exists r.state and r.state =~ ${stateRegex}) |> keep(columns: ["_time", "state", "text", "details"]) |> group() |> sort(columns: ["_time"], desc: true)`;
  for (const p of panels(uid, [
    {
      title: 'Interlock state', kind: 'table', w: 6, h: 6, columns: ['_time', '_value'],
      description: 'The interlock state (normal, warning, dangerous, safe) the newest rig reading carries (state interlock of rig:* readings).',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => ${RIG} and ${dev} and r._field == "interlock") |> group() |> last() |> keep(columns: ["_time", "_value"])`,
    },
    {
      title: 'Safety state changes', kind: 'table', w: 18, h: 6, columns: ['_time', 'state', 'text', 'details'],
      description: 'Interlock transitions of the rig (device events; details: the rule, input, quantity, value and limit that caused them).',
      flux: eventTable('/^(normal|warning|dangerous|safe)$/'),
    },
    { title: 'Cell voltages', kind: 'timeseries', unit: 'volt', w: 12, h: 8, columns: ['_time', '_value', '_field', 'channel'], description: 'cell_<n>_voltage_v of every BMU node (channel = node id).', flux: series('rig:bmu', 'r._field =~ /^cell_[0-9]+_voltage_v$/') },
    { title: 'Cell voltage min and max', kind: 'timeseries', unit: 'volt', w: 12, h: 8, columns: ['_time', '_value', '_field', 'channel'], description: 'min_cell_voltage_v and max_cell_voltage_v of each BMU node (over cells 1 … cellCount).', flux: series('rig:bmu', '(r._field == "min_cell_voltage_v" or r._field == "max_cell_voltage_v")') },
    { title: 'BMU temperatures', kind: 'timeseries', unit: 'celsius', w: 12, h: 8, columns: ['_time', '_value', '_field', 'channel'], description: 'Temperature fields of each BMU node (temperature_<n>_c, min/max_temperature_c).', flux: series('rig:bmu', 'r._field =~ /temperature.*_c$/') },
    { title: 'PCS power', kind: 'timeseries', unit: 'kwatt', w: 12, h: 8, columns: ['_time', '_value', '_field'], description: 'DC link power and the inverter power limit the PCS reports (kW).', flux: series('rig:pcs', '(r._field == "dc_link_power_kw" or r._field == "power_limit_inverter_kw")') },
    {
      title: 'PCS set-points', kind: 'table', w: 12, h: 8, columns: ['_time', 'state', 'text', 'details'],
      description: 'Set-points the rig sent to the PCS: manual (action:pcs_setpoint), schedule (action:schedule_setpoint, schedule steps) and PCS off; details: mode and value.',
      flux: eventTable('/^(action:pcs_setpoint|action:schedule_setpoint|action:pcs_off|schedule:step)$/'),
    },
    { title: 'Arduino temperatures', kind: 'timeseries', unit: 'celsius', w: 12, h: 8, columns: ['_time', '_value', '_field'], description: 'temperature_1_c and temperature_2_c of the Arduino report.', flux: series('rig:arduino', 'r._field =~ /^temperature_[0-9]+_c$/') },
    { title: 'Arduino pressure', kind: 'timeseries', unit: 'pressurepa', w: 12, h: 8, columns: ['_time', '_value', '_field'], description: 'pressure_pa of the Arduino report.', flux: series('rig:arduino', 'r._field == "pressure_pa"') },
    {
      title: 'Arduino outputs', kind: 'table', w: 12, h: 8, columns: ['_time', 'state', 'text', 'details'],
      description: 'Relay outputs the rig set (action:outputs events; details: output_<name> on/off).',
      flux: eventTable('/^action:outputs$/'),
    },
  ])) b.withPanel(p);
  return b.build();
}

/** Busbar service view: what the pipeline stored, command outcomes, events and alerts, reading quality. */
export function serviceView(): Dashboard {
  const uid = 'busbar-service';
  const b = new DashboardBuilder('Busbar / Service').uid(uid).tags(['busbar']).time({ from: 'now-6h', to: 'now' }).refresh('30s').withVariable(bucketVariable());
  const countBy = (measurement: string, tag: string): string => `${FROM} ${RANGE} |> filter(fn: (r) => r._measurement == "${measurement}" and r._field == "text") |> group(columns: ["${tag}"]) |> count() |> group()`;
  for (const p of panels(uid, [
    {
      title: 'Points stored per minute by measurement', kind: 'timeseries', w: 24, h: 8, columns: ['_time', '_value', '_measurement'],
      description: 'Readings (quality field) and events, command results and alerts (text field) stored per minute.',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => r._field == "quality" or r._field == "text") |> group(columns: ["_measurement"]) |> aggregateWindow(every: 1m, fn: count, createEmpty: false)`,
    },
    { title: 'Command results by status', kind: 'table', w: 8, h: 8, columns: ['status', '_value'], description: 'Command results (measurement command_result) in the time range, by status.', flux: countBy('command_result', 'status') },
    { title: 'Device events by kind', kind: 'table', w: 8, h: 8, columns: ['kind', '_value'], description: 'Device events (measurement device_event) in the time range, by kind.', flux: countBy('device_event', 'kind') },
    { title: 'Alert transitions by state', kind: 'table', w: 8, h: 8, columns: ['state', '_value'], description: 'Alert transitions (measurement alert) in the time range, by state.', flux: countBy('alert', 'state') },
    {
      title: 'Readings not GOOD', kind: 'stat', w: 8, h: 6, columns: ['_value'],
      description: 'Readings whose quality is UNCERTAIN or BAD in the time range.',
      flux: `${FROM} ${RANGE} |> filter(fn: (r) => r._field == "quality" and r._value != "GOOD") |> group() |> count()`,
    },
  ])) b.withPanel(p);
  return b.build();
}

/** Every dashboard, by file name (without `.json`). */
export function allDashboards(): Record<string, Dashboard> {
  return { 'fleet-overview': fleetOverview(), 'cycler-channel': cyclerChannel(), meter: meterView(), rig: rigView(), service: serviceView() };
}
