/**
 * The documented example map and interval-log layout shipped with the driver (also as
 * `examples/corus-example-map.json`; a test keeps the two equal).
 *
 * Sources: ids 0, 1, 15, 19, 24, 106, 107, 148, 149 from itron-corus README §7.3 (iflag 0.x's
 * table for one unknown firmware); id 0x5E from §7.1; the interval layout from §9.6 (iflag 1.0.1
 * README, 52 bytes). Ids 200–203 (live pressure, temperature, flow rates) and 300 (a two-byte-id
 * writable setting) are INVENTED for the simulator and demo: a real device's ids come from its
 * Itron map documentation.
 */
import type { RecordField } from '../codec/database.js';
import type { CorusMapInput } from './map.js';

/** The 52-byte interval record layout of README §9.6 (pulse-scaled fields marked). */
export const INTERVAL_LAYOUT_52: readonly RecordField[] = [
  { name: 'record_duration', class: 'Byte' },
  { name: 'status', class: 'Byte' },
  { name: 'end_date', class: 'Date' },
  { name: 'consumption_interval_unconverted', class: 'Word', affectedByPulseInput: true },
  { name: 'consumption_interval_converted', class: 'ULong', affectedByPulseInput: true },
  { name: 'counter_interval_unconverted', class: 'Word', affectedByPulseInput: true },
  { name: 'counter_interval_converted', class: 'ULong', affectedByPulseInput: true },
  { name: 'temperature_interval_minimum', class: 'Float1' },
  { name: 'temperature_interval_maximum', class: 'Float1' },
  { name: 'temperature_interval_average', class: 'Float1' },
  { name: 'pressure_interval_minimum', class: 'Float2' },
  { name: 'pressure_interval_maximum', class: 'Float2' },
  { name: 'pressure_interval_average', class: 'Float2' },
  { name: 'flowrate_unconverted_interval_minimum', class: 'Float3', affectedByPulseInput: true },
  { name: 'flowrate_unconverted_interval_maximum', class: 'Float3', affectedByPulseInput: true },
  { name: 'flowrate_converted_interval_minimum', class: 'Float3', affectedByPulseInput: true },
  { name: 'flowrate_converted_interval_maximum', class: 'Float3', affectedByPulseInput: true },
  { name: 'none_data_1', class: 'Null4' },
  { name: 'flowrate_unconverted_interval_average', class: 'Float3', affectedByPulseInput: true },
  { name: 'flowrate_converted_interval_average', class: 'Float3', affectedByPulseInput: true },
  { name: 'start_date', class: 'Date' },
  { name: 'none_data_2', class: 'Null2' },
];

/** The example map `FL_b0040` (see the module comment for what is real and what is invented). */
export const EXAMPLE_CORUS_MAP: CorusMapInput = {
  mapId: 'b0040',
  description: 'Example map: ids from itron-corus README §7.3 (iflag 0.x, one unknown firmware) plus invented live-value ids 200-203 and 300. Not a real firmware map.',
  float3ExponentOffset: -1,
  parameters: [
    { name: 'firmware_version', id: 0, class: 'CorusString' },
    { name: 'pulse_weight_m3', id: 1, class: 'Float', unit: 'm3', writable: true, min: '0.0001', max: '1000', role: 'pulse_weight' },
    { name: 'compressibility_formula', id: 15, class: 'Byte', writable: true, min: '0', max: '7' },
    { name: 'pressure_base_bar', id: 19, class: 'Float', unit: 'bar', writable: true, min: '0.5', max: '2' },
    { name: 'temperature_base_k', id: 24, class: 'Float', unit: 'K', writable: true, min: '250', max: '320' },
    { name: 'parameter_map', id: 94, class: 'CorusString', role: 'map_name' },
    { name: 'clock', id: 106, class: 'Date', writable: true, role: 'clock' },
    { name: 'battery_days', id: 107, class: 'Word', unit: 'd', writable: true, min: '0', max: '5000' },
    { name: 'volume_unconverted_m3', id: 148, class: 'Index', unit: 'm3' },
    { name: 'volume_converted_m3', id: 149, class: 'Index', unit: 'm3' },
    { name: 'pressure_bar', id: 200, class: 'Float', unit: 'bar' },
    { name: 'temperature_c', id: 201, class: 'Float', unit: 'degC' },
    { name: 'flow_unconverted_m3_per_h', id: 202, class: 'Float', unit: 'm3/h' },
    { name: 'flow_converted_m3_per_h', id: 203, class: 'Float', unit: 'm3/h' },
    { name: 'display_contrast', id: 300, class: 'Byte', writable: true, min: '0', max: '15' },
  ],
  logs: {
    interval: {
      databaseId: 0,
      intervalS: 900,
      timestampField: 'end_date',
      layouts: [{ recordLength: 52, fields: INTERVAL_LAYOUT_52.map((f) => ({ ...f })) }],
    },
  },
};
