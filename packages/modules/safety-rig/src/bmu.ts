/**
 * BMU PDO signals (safety-rig reference §3.2–§3.3, decoded with the rig's DBC) under Busbar names
 * with SI units, and the cell aggregates the interlock reads.
 *
 * Defect D3 fixed: the original checked cells 1 … `cellVoltageNum` − 1 (cell 12 of a 12-cell module
 * never); here `max_cell_voltage_v` / `min_cell_voltage_v` cover cells 1 … `cellCount` inclusive, and
 * only once every one of them has been received (a cell never received is not "fine").
 *
 * Pure: no I/O.
 */

/** DBC signal → Busbar field (unit in the name). Unknown signals keep a snake-case name. */
const FIXED: Readonly<Record<string, string>> = {
  CMA_Current: 'module_current_a',
  CMA_Voltage: 'module_voltage_v',
  Min_Cell_Voltage: 'reported_min_cell_voltage_v',
  Max_Cell_Voltage: 'reported_max_cell_voltage_v',
  CMA_Min_Temp: 'min_temperature_c',
  CMA_Max_Temp: 'max_temperature_c',
  CMA_Status: 'status_word',
  SOC: 'soc_pct',
  SOH: 'soh_pct',
  CellBalancingStatus: 'balancing_bits',
  // reference §3.3: the counters' unit is not stated
  Charge_Ah_from_BMU: 'charge_counter',
  Discharge_Ah_from_BMU: 'discharge_counter',
};

/**
 * The Busbar field name of a BMU signal: `Cell_3_Voltage` → `cell_3_voltage_v`, `CMA_Temp4` →
 * `temperature_4_c`, `Cell09_SOC` → `cell_9_soc_pct`, the fixed table otherwise.
 */
export function bmuFieldName(signal: string): string {
  const fixed = FIXED[signal];
  if (fixed) return fixed;
  let m = /^Cell_(\d+)_Voltage$/.exec(signal);
  if (m) return `cell_${Number(m[1])}_voltage_v`;
  m = /^CMA_Temp(\d+)$/.exec(signal);
  if (m) return `temperature_${Number(m[1])}_c`;
  m = /^Cell(\d+)_SOC$/.exec(signal);
  if (m) return `cell_${Number(m[1])}_soc_pct`;
  return signal.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The latest values of one BMU, built up PDO by PDO. */
export class BmuState {
  private readonly values = new Map<string, number>();

  /** @param cellCount - cells per module the aggregates cover (1 … cellCount, inclusive). */
  constructor(private readonly cellCount: number) {}

  /**
   * Merges one decoded PDO.
   *
   * @param signals - DBC signal → physical value (the CAN driver's `DecodedMessage.values`).
   * @returns the fields this PDO changed, plus the cell aggregates when the PDO carried a cell
   *   voltage and every cell 1 … cellCount is known.
   */
  apply(signals: Readonly<Record<string, number>>): Record<string, number> {
    const changed: Record<string, number> = {};
    let cells = false;
    for (const [signal, value] of Object.entries(signals)) {
      const name = bmuFieldName(signal);
      this.values.set(name, value);
      changed[name] = value;
      if (/^cell_\d+_voltage_v$/.test(name)) cells = true;
    }
    if (cells) Object.assign(changed, this.cellAggregates());
    return changed;
  }

  /** Every field known so far (with the aggregates when complete). */
  snapshot(): Record<string, number> {
    return { ...Object.fromEntries(this.values), ...this.cellAggregates() };
  }

  private cellAggregates(): Record<string, number> {
    let max = -Infinity;
    let min = Infinity;
    for (let i = 1; i <= this.cellCount; i++) {
      const v = this.values.get(`cell_${i}_voltage_v`);
      if (v === undefined) return {};
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    return { max_cell_voltage_v: max, min_cell_voltage_v: min };
  }
}
