/**
 * Read planning: group a register map's points into as few read requests as the protocol allows.
 *
 * Request grammar (Modbus Application Protocol Specification V1.1b3):
 *
 *   read coils            FC 01  start(2) quantity(2)   quantity 1..2000 (0x7D0)   §6.1
 *   read discrete inputs  FC 02  start(2) quantity(2)   quantity 1..2000 (0x7D0)   §6.2
 *   read holding regs     FC 03  start(2) quantity(2)   quantity 1..125  (0x7D)    §6.3
 *   read input regs       FC 04  start(2) quantity(2)   quantity 1..125  (0x7D)    §6.4
 *
 * A quantity beyond these limits is answered with exception 03 (ILLEGAL DATA VALUE); reading a
 * register the device does not implement gives exception 02 (ILLEGAL DATA ADDRESS), which is why
 * gaps between points are not read unless `maxGap` allows it.
 */
import { ModbusConfigError } from '../errors.js';
import { isBitTable, pointSpan } from './register-map.js';
import type { DeviceMap, RegisterPoint, RegisterType } from './register-map.js';

/** Largest register quantity of one FC 03/04 read (spec §6.3, §6.4). */
export const MAX_READ_REGISTERS = 125;
/** Largest bit quantity of one FC 01/02 read (spec §6.1, §6.2). */
export const MAX_READ_BITS = 2000;

/** Read function code per table (spec §6.1–6.4). */
export const READ_FUNCTION_CODE: Readonly<Record<RegisterType, 1 | 2 | 3 | 4>> = Object.freeze({
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
});

/** Options of {@link planReads}. */
export interface PlanOptions {
  /** Largest FC 03/04 quantity, 1..125. @default 125 */
  readonly maxRegisters?: number;
  /** Largest FC 01/02 quantity, 1..2000. @default 2000 */
  readonly maxBits?: number;
  /** Unused registers/bits a block may include to join two ranges (0 = only contiguous ranges). @default 0 */
  readonly maxGap?: number;
  /**
   * Tables read by polling; points of other tables are still writable but not read. For devices
   * that answer only some read function codes (the rig's PCS: FC 04 status only, safety-rig
   * reference §4.1). @default all four
   */
  readonly readTables?: readonly RegisterType[];
}

/** One read request: `count` registers (or bits) of `type` from `start`, covering `points`. */
export interface ReadBlock {
  /** Table read. */
  readonly type: RegisterType;
  /** Function code to use (1, 2, 3 or 4). */
  readonly functionCode: 1 | 2 | 3 | 4;
  /** 0-based PDU start address. */
  readonly start: number;
  /** Quantity of registers or bits. */
  readonly count: number;
  /** Points decoded from this block, in address order. */
  readonly points: readonly RegisterPoint[];
}

const TYPE_ORDER: readonly RegisterType[] = ['holding', 'input', 'coil', 'discrete'];

function checkInt(name: string, value: number, lo: number, hi: number, issues: string[]): void {
  if (!Number.isInteger(value) || value < lo || value > hi) issues.push(`${name}: must be an integer ${lo}..${hi} (got ${value})`);
}

/**
 * Plans the reads of a whole map: per table, points sorted by address are packed greedily into
 * blocks; a block grows while the next point starts within `maxGap` of its end and the block stays
 * within the quantity limit. Greedy packing is optimal here (each block reaches as far as it can),
 * so the plan has the fewest requests for the given limits. A point is never split across blocks.
 *
 * @param map - a validated map (see `parseRegisterMap`).
 * @param options - limits; defaults are the spec maxima and no gaps.
 * @returns blocks ordered holding, input, coil, discrete, then by address.
 * @throws {ModbusConfigError} `BB_MODBUS_CONFIG_INVALID` for limits out of range, or a point wider than `maxRegisters`.
 */
export function planReads(map: DeviceMap, options: PlanOptions = {}): ReadBlock[] {
  const maxRegisters = options.maxRegisters ?? MAX_READ_REGISTERS;
  const maxBits = options.maxBits ?? MAX_READ_BITS;
  const maxGap = options.maxGap ?? 0;
  const issues: string[] = [];
  checkInt('maxRegisters', maxRegisters, 1, MAX_READ_REGISTERS, issues);
  checkInt('maxBits', maxBits, 1, MAX_READ_BITS, issues);
  checkInt('maxGap', maxGap, 0, MAX_READ_BITS, issues);
  const readTables = options.readTables ?? TYPE_ORDER;
  for (const t of readTables) if (!TYPE_ORDER.includes(t)) issues.push(`readTables: ${JSON.stringify(t)} is not one of ${TYPE_ORDER.join(', ')}`);
  if (issues.length > 0) throw new ModbusConfigError(issues);

  const blocks: ReadBlock[] = [];
  for (const type of TYPE_ORDER.filter((t) => readTables.includes(t))) {
    const limit = isBitTable(type) ? maxBits : maxRegisters;
    const pts = map.points
      .filter((p) => p.type === type)
      .map((p) => ({ p, ...pointSpan(p) }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    let current: { start: number; end: number; points: RegisterPoint[] } | undefined;
    const flush = (): void => {
      if (current) blocks.push(Object.freeze({ type, functionCode: READ_FUNCTION_CODE[type], start: current.start, count: current.end - current.start, points: Object.freeze(current.points) }));
    };
    for (const { p, start, end } of pts) {
      if (end - start > limit) throw new ModbusConfigError([`points.${p.name}: ${p.dataType} needs ${end - start} registers, more than maxRegisters ${limit}`]);
      if (current && start <= current.end + maxGap && Math.max(end, current.end) - current.start <= limit) {
        current.end = Math.max(end, current.end);
        current.points.push(p);
      } else {
        flush();
        current = { start, end, points: [p] };
      }
    }
    flush();
  }
  return blocks;
}
