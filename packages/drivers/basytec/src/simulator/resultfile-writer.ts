/**
 * Writes simulated rows as a BaSyTec Resultfile (reference §3.1-§3.3): the 12-line `~` preamble,
 * the `~` header, one line per data set; tab or single-space separated, Latin-1 or UTF-8, LF or
 * CRLF, elapsed time in s or h, with or without a `DateTime` column. This is the simulator's
 * writer; the parser's tests use their own builder (STYLE.md §3).
 */
import type { SimRow } from './model.js';

/** Format options of {@link ResultfileFormat}. */
export interface ResultfileFormatOptions {
  readonly separator?: 'tab' | 'space';
  readonly encoding?: 'latin1' | 'utf8';
  readonly eol?: 'lf' | 'crlf';
  readonly timeUnit?: 's' | 'h';
  readonly dateTimeColumn?: boolean;
  readonly testName?: string;
  readonly battery?: string;
  readonly plan?: string;
  readonly channel?: string;
  /** Start of test as local wall-clock fields, e.g. `{ year: 2025, month: 1, day: 1, hour: 8, minute: 0, second: 0 }`. */
  readonly start?: { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** Formats rows of one test; `preamble()` once, then `rows()` for each batch. */
export class ResultfileFormat {
  private readonly sep: string;
  private readonly eol: string;
  private readonly enc: BufferEncoding;
  private readonly startMs: number;

  /** @param o - format options (defaults: tab, Latin-1, LF, seconds, no DateTime). */
  constructor(readonly o: ResultfileFormatOptions = {}) {
    this.sep = o.separator === 'space' ? ' ' : '\t';
    this.eol = o.eol === 'crlf' ? '\r\n' : '\n';
    this.enc = o.encoding === 'utf8' ? 'utf8' : 'latin1';
    const s = o.start ?? { year: 2025, month: 1, day: 1, hour: 8, minute: 0, second: 0 };
    this.startMs = Date.UTC(s.year, s.month - 1, s.day, s.hour, s.minute, s.second);
  }

  /** `dd.mm.yyyy HH:MM:SS` of the wall clock `elapsed_s` after the start. */
  wallClock(elapsed_s: number): string {
    const d = new Date(this.startMs + Math.floor(elapsed_s) * 1000);
    return `${p2(d.getUTCDate())}.${p2(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  }

  /** The header column names (reference §3.3). */
  columns(): string[] {
    const u = this.o.timeUnit ?? 's';
    return [
      `Time[${u}]`, 'DataSet', ...(this.o.dateTimeColumn === true ? ['DateTime'] : []), `t-Step[${u}]`, 'Line', 'Command', 'U[V]', 'I[A]', 'P[W]', 'Ah[Ah]', 'Ah-Step', 'Wh[Wh]', 'T1[°C]', 'R-DC', 'Cyc-Count', 'State',
    ];
  }

  /** Preamble and header line, encoded. */
  preamble(): Buffer {
    const start = this.wallClock(0);
    const lines = [
      '~Resultfile from Basytec Battery Test System',
      `~Date and Time of Data Converting: ${start}`,
      '~',
      `~Name of Test: ${this.o.testName ?? 'sim_test'}`,
      `~Battery: ${this.o.battery ?? 'SIM-CELL-1'}`,
      `~Testplan: ${this.o.plan ?? 'sim.pln'}`,
      `~Testchannel: ${this.o.channel ?? '0001 CH01 SIM'}`,
      `~Start of Test: ${start}`,
      `~End of Test: ${start}`,
      '~Operator (Test): busbar',
      '~Operator (Data converting): busbar',
      '~',
      `~${this.columns().join(this.sep)}`,
    ];
    return Buffer.from(lines.join(this.eol) + this.eol, this.enc);
  }

  /** The fields of one row as text, in {@link columns} order. */
  fields(r: SimRow): string[] {
    const t = (s: number): string => String(this.o.timeUnit === 'h' ? Number((s / 3600).toPrecision(12)) : s);
    return [
      t(r.elapsed_s), String(r.dataSet), ...(this.o.dateTimeColumn === true ? [this.wallClock(r.elapsed_s)] : []), t(r.step_s), String(r.line), r.command,
      String(r.voltage_v), String(r.current_a), String(r.power_w), String(r.charge_ah), String(r.step_ah), String(r.energy_wh), String(r.temperature_c),
      String(r.resistance_dc_ohm), String(r.cycle), String(r.state),
    ];
  }

  /** Rows, encoded, each ending with the line terminator. */
  rows(rows: readonly SimRow[]): Buffer {
    let s = '';
    for (const r of rows) s += this.fields(r).join(this.sep) + this.eol;
    return Buffer.from(s, this.enc);
  }
}
