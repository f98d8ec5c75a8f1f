/**
 * Column mapping of BaSyTec Resultfiles: by name and unit, never by position (reference §3.3,
 * §3.7 item 5). The set of columns is chosen per test ("freely definable registration format",
 * reference §3.1), so every header is mapped afresh.
 */

/**
 * What a header cell means. `kind` says how its text is read:
 * - `number`: a decimal number (exponent notation allowed), multiplied by `scale` into the SI unit;
 * - `integer`: DataSet, Line, State, counters;
 * - `hms`: elapsed time as `h:mm:ss[.fff]` (hours may exceed 24), in seconds;
 * - `text`: kept as is (Command);
 * - `datetime`: `dd.mm.yyyy HH:MM:SS` (contains a space; reference §3.3);
 * - `date` / `clock`: `dd.mm.yyyy` and `HH:MM:SS` as two columns;
 * - `extra`: an unknown column, kept as a number when it parses as one, else as text.
 */
export type ColumnKind = 'number' | 'integer' | 'hms' | 'text' | 'datetime' | 'date' | 'clock' | 'extra';

/** One header cell and where its value goes. */
export interface ColumnSpec {
  /** Header text as printed, with the first column's leading `~` stripped (reference §3.7 item 2). */
  readonly header: string;
  /** How the field is read. */
  readonly kind: ColumnKind;
  /**
   * Target name: an SI field of `ResultRow.values` (e.g. `voltage_v`), a row field
   * (`elapsed_s`, `data_set`, `line`, `command`, `state`...) or, for `extra`, the header text.
   */
  readonly target: string;
  /** Factor into the SI unit (`Time[h]` → 3600, `U[mV]` → 0.001). 1 when not numeric. */
  readonly scale: number;
}


const TIME_UNITS: Readonly<Record<string, number>> = { h: 3600, s: 1, min: 60, ms: 0.001 };
const HMS_UNITS = new Set(['h:min:s', 'hh:mm:ss', 'h:mm:ss', 'hh:min:ss']);

/** Unit factors for quantity columns (key: lower-cased unit). */
const VOLT: Readonly<Record<string, number>> = { v: 1, mv: 1e-3 };
const AMP: Readonly<Record<string, number>> = { a: 1, ma: 1e-3 };
const WATT: Readonly<Record<string, number>> = { w: 1, mw: 1e-3, kw: 1e3 };
const AH: Readonly<Record<string, number>> = { ah: 1, mah: 1e-3 };
const WH: Readonly<Record<string, number>> = { wh: 1, mwh: 1e-3, kwh: 1e3 };
const OHM: Readonly<Record<string, number>> = { ohm: 1, mohm: 1e-3, 'Ω': 1, 'mΩ': 1e-3 };

/**
 * Ah/Wh counter names without brackets (reference §3.3, §3.5: both `…-Set` spellings) → stem.
 * `Ah-` counters become `<stem>_ah`, `Wh-` counters `<stem>_wh` (e.g. `Ah-Ch-Set` → `set_charged_ah`).
 */
const COUNTERS: Readonly<Record<string, string>> = {
  charge: 'charged',
  discharge: 'discharged',
  step: 'step',
  set: 'set',
  'ch-set': 'set_charged',
  'charge-set': 'set_charged',
  'dis-set': 'set_discharged',
  'discharge-set': 'set_discharged',
  'cyc-charge': 'cycle_charged',
  'cyc-discharge': 'cycle_discharged',
  'cyc-charge-0': 'cycle_charged_0',
  'cyc-discharge-0': 'cycle_discharged_0',
};

/** Splits `name[unit]` (unit may be absent). */
export function splitNameUnit(header: string): { name: string; unit: string | undefined } {
  const m = /^(.*?)\[(.*)\]$/.exec(header);
  if (m === null) return { name: header, unit: undefined };
  return { name: (m[1] ?? '').trim(), unit: (m[2] ?? '').trim() };
}

function quantity(header: string, unit: string | undefined, table: Readonly<Record<string, number>>, target: string, dflt: string): ColumnSpec | undefined {
  const u = unit ?? dflt;
  const scale = table[u.toLowerCase()] ?? table[u];
  if (scale === undefined) return undefined;
  return { header, kind: 'number', target, scale };
}

/**
 * Maps one header cell to its {@link ColumnSpec} (reference §3.3 catalogue, §3.6 for the
 * open-source parsers' name/unit matching). Unknown names and unknown units become `extra`
 * columns (kept under their header text), never an error.
 * @param header - the cell text; a leading `~` is stripped.
 * @param hasClockTime - whether the header also has a `Date` column: then a bare `Time` is the
 *   wall-clock time of day, not elapsed time (reference §3.7 item 8).
 */
export function mapColumn(header: string, hasClockTime: boolean): ColumnSpec {
  const h = header.replace(/^~/, '').replace(/^#/, '').trim();
  const { name, unit } = splitNameUnit(h);
  const lname = name.toLowerCase();
  const extra: ColumnSpec = { header: h, kind: 'extra', target: h, scale: 1 };
  const timed = (target: string): ColumnSpec => {
    if (unit === undefined) return extra;
    if (HMS_UNITS.has(unit.toLowerCase())) return { header: h, kind: 'hms', target, scale: 1 };
    const f = TIME_UNITS[unit.toLowerCase()];
    return f === undefined ? extra : { header: h, kind: 'number', target, scale: f };
  };
  switch (lname) {
    case 'time':
      if (unit === undefined) return hasClockTime ? { header: h, kind: 'clock', target: 'clock', scale: 1 } : extra;
      return timed('elapsed_s');
    case 'datetime':
      return { header: h, kind: 'datetime', target: 'datetime', scale: 1 };
    case 'date':
      return unit === undefined ? { header: h, kind: 'date', target: 'date', scale: 1 } : extra;
    case 'dataset':
      return { header: h, kind: 'integer', target: 'data_set', scale: 1 };
    case 't-step':
      return timed('step_time_s');
    case 't-set':
      return timed('set_time_s');
    case 't-cyc':
      return timed('cycle_time_s');
    case 'line':
      return { header: h, kind: 'integer', target: 'line', scale: 1 };
    case 'command':
      return { header: h, kind: 'text', target: 'command', scale: 1 };
    case 'state':
      return { header: h, kind: 'integer', target: 'state', scale: 1 };
    case 'level':
      return { header: h, kind: 'integer', target: 'level', scale: 1 };
    case 'cyc-count':
      return { header: h, kind: 'integer', target: 'cycle_count', scale: 1 };
    case 'count':
      return { header: h, kind: 'integer', target: 'loop_count', scale: 1 };
    case 'u':
      return quantity(h, unit, VOLT, 'voltage_v', 'V') ?? extra;
    case 'i':
      return quantity(h, unit, AMP, 'current_a', 'A') ?? extra;
    case 'p':
      return quantity(h, unit, WATT, 'power_w', 'W') ?? extra;
    case 'ah':
      return quantity(h, unit, AH, 'charge_ah', 'Ah') ?? extra;
    case 'wh':
      if (unit !== undefined && unit.toLowerCase() === 'wh/kg') return { header: h, kind: 'number', target: 'specific_energy_wh_per_kg', scale: 1 };
      return quantity(h, unit, WH, 'energy_wh', 'Wh') ?? extra;
    case 'r-ac':
      return quantity(h, unit, OHM, 'resistance_ac_ohm', 'Ohm') ?? extra;
    case 'r-dc':
      return quantity(h, unit, OHM, 'resistance_dc_ohm', 'Ohm') ?? extra;
    default:
      break;
  }
  // T1[°C], T2[°C]...: the degree sign may be a Latin-1 byte, U+FFFD or mojibake (reference §3.1, §3.7 item 6).
  const t = /^t(\d+)$/.exec(lname);
  if (t !== null && unit !== undefined) {
    if (/c$/i.test(unit)) return { header: h, kind: 'number', target: `temperature_${t[1] ?? ''}_c`, scale: 1 };
    return extra;
  }
  const counter = /^(ah|wh)-(.+)$/.exec(lname);
  if (counter !== null && unit === undefined) {
    const stem = COUNTERS[counter[2] ?? ''];
    if (stem !== undefined) return { header: h, kind: 'number', target: `${stem}_${counter[1] === 'ah' ? 'ah' : 'wh'}`, scale: 1 };
  }
  return extra;
}

/**
 * Maps a whole header (reference §3.3). `Time` is the clock column only when `Date` is also present.
 * @returns one spec per cell, in header order.
 */
export function mapHeader(cells: readonly string[]): ColumnSpec[] {
  const stripped = cells.map((c, i) => (i === 0 ? c.replace(/^~/, '') : c).trim());
  const hasDate = stripped.some((c) => c.toLowerCase() === 'date');
  return stripped.map((c) => mapColumn(c, hasDate));
}
