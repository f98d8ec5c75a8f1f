/**
 * Channel status codes and the step-and-cycle text of the get-channels-info feedback.
 *
 * Status codes: Arbin CTI reference README §4.2.1 (identical in [P1.1], [I4.5] `ChannelStatus`, pycti).
 * Step text grammar (README §4.2, inferred from one sample, "[1] 1: Step_A, Rest" — uncertain):
 *
 *   step_and_cycle_format = "[" cycle:int "]" " " step:int ":" " " label "," " " step_type
 */

/** Status code → vendor name (README §4.2.1). */
export const CTI_CHANNEL_STATUS: Readonly<Record<number, string>> = {
  0: 'Idle',
  1: 'Transition',
  2: 'Charge',
  3: 'Discharge',
  4: 'Rest',
  5: 'Wait',
  6: 'External Charge',
  7: 'Calibration',
  8: 'Unsafe',
  9: 'Pulse',
  10: 'Internal Resistance',
  11: 'AC Impedance',
  12: 'ACI Cell',
  13: 'Test Settings',
  14: 'Error',
  15: 'Finished',
  16: 'Volt Meter',
  17: 'Waiting for ACS',
  18: 'Pause',
  19: 'Empty',
  20: 'Idle from MCU',
  21: 'Start',
  22: 'Running',
  23: 'Step Transfer',
  24: 'Resume',
  25: 'Go Pause',
  26: 'Go Stop',
  27: 'Go Next Step',
  28: 'Online Update',
  29: 'DAQ Memory Unsafe',
  30: 'ACR',
};

/** The vendor name of a status code; `Unknown(n)` for codes outside the table (README §4.2.1). */
export function channelStatusName(code: number): string {
  return CTI_CHANNEL_STATUS[code] ?? `Unknown(${code})`;
}

/** Cycle and step parsed from the step-and-cycle text. */
export interface StepAndCycle {
  /** Cycle index as shown by MITS Pro (the sample starts at 1). */
  readonly cycle_index: number;
  /** Step index as shown by MITS Pro (the sample starts at 1). */
  readonly step_index: number;
  /** Step label from the schedule, e.g. "Step_A". */
  readonly step_label: string;
  /** Step type, e.g. "Rest". */
  readonly step_type: string;
}

const STEP_AND_CYCLE = /^\s*\[\s*(\d+)\s*\]\s*(\d+)\s*:\s*([^,]*?)\s*(?:,\s*(.*?))?\s*$/;

/**
 * Parses "[cycle] step: label, type" (README §4.2). Returns `undefined` when the text does not follow
 * that shape (e.g. ArbinSpoofer's "none"): cycle and step are then unknown, never guessed.
 */
export function parseStepAndCycle(text: string): StepAndCycle | undefined {
  const m = STEP_AND_CYCLE.exec(text);
  if (m === null) return undefined;
  return { cycle_index: Number(m[1]), step_index: Number(m[2]), step_label: m[3] ?? '', step_type: m[4] ?? '' };
}

/** Formats the step-and-cycle text the way the captured vector shows it (used by the simulator). */
export function formatStepAndCycle(v: StepAndCycle): string {
  return `[${v.cycle_index}] ${v.step_index}: ${v.step_label}, ${v.step_type}`;
}
