/**
 * Status and result-code tables of MacNet, as data.
 *
 * Sources: Maccor MacNet reference §7.1 (Stat; pymacnet status_dictionary.py 0-16 plus vendor help
 * p.25-26 for 17-18), §7.2 (RF1, vendor help p.24), §7.3 (RF2, vendor help p.24-25) and the binary
 * Result tables of (6,2) §6.7 (p.42), (6,7) §6.9 (p.47), (6,8) §6.10 (p.48) and (6,11) §10.2.
 * Unknown codes decode to `unknown(n)`, never throw (pymacnet's KeyError on Stat 17/18 is not copied). Pure.
 */

/** Stat: the channel state in the tester software (reference §7.1). */
export const STAT_NAMES: Readonly<Record<number, string>> = {
  0: 'Available',
  1: 'Selected',
  2: 'Active',
  3: 'Suspended',
  4: 'Completed',
  5: 'Problem',
  6: 'Not/Avl',
  7: 'Reset',
  8: 'Start',
  9: 'PWR Fail',
  10: 'No Cntllr',
  11: 'ShutDown',
  12: 'Starting',
  13: 'Blocked',
  14: 'Waiting',
  15: 'FRA',
  16: 'Rem Maint',
  17: 'Not USED',
  18: 'N/A',
};

/** RF1: state code from the controller board (reference §7.2). */
export const RF1_NAMES: Readonly<Record<number, string>> = {
  0: 'Available',
  1: 'Charge',
  2: 'Discharge',
  3: 'AdvCycle',
  4: 'Rest',
  5: 'Pause',
  7: 'End',
  8: 'Ext Chg',
  9: 'Ext Dis',
  19: 'Pls Chg',
  20: 'Pls Dis',
  21: 'I/O Out',
  22: 'EnvChmbr',
  23: 'Scan',
  26: 'SubRout and FRA',
  29: 'Problem',
  30: 'Suspended',
  31: 'Complete',
};

/** RF2: reason code from the controller board (reference §7.3). */
export const RF2_NAMES: Readonly<Record<number, string>> = {
  0: 'Start of Step', 1: 'Step Time', 4: 'Current increment', 5: 'Voltage increment', 8: 'Amp Hour', 9: 'Watt Hour',
  17: 'Pause Step', 18: 'Auxiliary Input', 33: 'Pulse low', 34: 'Pulse high', 37: 'Digital Input',
  128: 'None', 129: 'Step time', 130: 'Test time', 131: 'Cycle Number', 132: 'Current', 133: 'Voltage', 134: 'Power',
  135: 'Resistance', 136: 'Amp Hour', 137: 'Watt Hour', 138: 'Half Cycle Ahr', 139: 'Half Cycle Whr', 140: 'Previous Ahr',
  141: 'Previous Whr', 142: 'First Half Cycle Ahr', 143: 'First Half Cycle Whr', 144: 'Last Half Cycle Ahr',
  145: 'Last Half Cycle Whr', 146: 'External', 147: 'Loop Count', 150: 'Voltage/Hour', 151: 'Ahr Previous',
  152: 'Half Cycle AHr', 153: 'Half Cycle Time', 154: 'Delta I', 155: 'Delta V', 157: 'Aux Volt', 158: 'Thermocouple',
  159: 'Thermistor', 160: 'Pressure', 161: 'Max-Deviation', 162: 'Mean-Deviation', 163: 'SMBus alarm', 164: 'Function',
  165: 'Digital Input',
  189: 'Safety Capacity', 190: 'Safety Voltage <pk', 191: 'Safety overcharge', 192: 'S: operator suspended or Pause step',
  193: 'O: normal end', 194: 'P: timeout fault', 195: 'P: timeout fault', 196: 'P: overcharge safety', 197: 'P: voltage safety <pk',
  198: 'P: slave error', 199: 'operator forced step', 252: 'P: slave current-control error', 253: 'P: absolute V safety',
  254: 'P: lost current control', 255: 'P: buffer full',
};

/** RF2 codes that mean a safety limit ended the step or test (reference §7.3). */
export const RF2_SAFETY_CODES: ReadonlySet<number> = new Set([189, 190, 191, 196, 197, 253]);

function lookup(table: Readonly<Record<number, string>>, code: number): string {
  return table[code] ?? `unknown(${code})`;
}

/** Name of a Stat code, `unknown(n)` when undocumented. */
export function statName(stat: number): string {
  return lookup(STAT_NAMES, stat);
}
/** Name of an RF1 code, `unknown(n)` when undocumented. */
export function rf1Name(rf1: number): string {
  return lookup(RF1_NAMES, rf1);
}
/** Name of an RF2 code, `unknown(n)` when undocumented. */
export function rf2Name(rf2: number): string {
  return lookup(RF2_NAMES, rf2);
}

/** (6,2) start test binary Result codes (reference §6.7, vendor p.42). */
export const START_TEST_RESULTS: Readonly<Record<number, string>> = {
  0: 'OK',
  10: 'regimes cannot be started with more than one channel selected',
  12: 'advanced start is not compatible with regimes',
  14: 'no test procedure was selected',
  15: 'channel not active, so a jump start is impossible',
  16: 'channel not selected, so an advanced start is impossible',
  17: 'channel not suspended, so it cannot restart',
  18: 'data file name longer than 256 characters',
  19: 'the name is not a unique file name',
  20: 'the name is not a unique file name',
  21: 'environmental chamber in use',
  22: 'invalid entry',
  23: 'channel in use',
  24: 'no channels were selected to be started',
  25: 'environmental chamber in use',
};

/** (6,7) start direct mode Result codes (reference §6.9, vendor p.47). */
export const START_DIRECT_RESULTS: Readonly<Record<number, string>> = {
  0: 'OK',
  1: 'illegal system type: direct mode works only on SystemType 0',
  2: 'the channel is not available',
  3: 'creating the pseudo test procedure failed',
};

/** (6,8) set direct output Result codes (reference §6.10, vendor p.48). */
export const DIRECT_OUTPUT_RESULTS: Readonly<Record<number, string>> = {
  0: 'OK',
  1: 'illegal system type (only type 0)',
  2: 'the channel is not active',
  3: 'command sent too fast: leave at least 100 ms between commands',
  4: 'direct mode is not active',
  5: 'direct mode is not ready yet',
};

/** (6,11) check test start Result codes (reference §10.2, vendor p.51). */
export const CHECK_START_RESULTS: Readonly<Record<number, string>> = {
  0: 'OK',
  1: 'channel not available or selected',
  2: 'procedure does not exist',
  3: 'subroutine procedures do not exist',
  4: 'file name exists in Archive',
  5: 'invalid file name',
  6: 'invalid environmental chamber number',
  7: 'compile error',
  0xffff: 'other non-defined problem',
};
