/**
 * Result codes of CTI feedbacks as data, with the vendor's name, meaning and source section.
 *
 * Source: Arbin CTI reference README §5 (which collects [P1.1] tables and [I4.5] enums). The set-MV
 * codes follow the vendor documents, not pycti (which swaps 0x11 and 0x12, README §5.4).
 */

/** The families of result codes: one per feedback type. */
export type CtiResultFamily =
  | 'login'
  | 'assignSchedule'
  | 'startSchedule'
  | 'stopSchedule'
  | 'resumeSchedule'
  | 'continueChannel'
  | 'jumpToStep'
  | 'setMetaVariable'
  | 'getSerialNumber'
  | 'sendConsoleMessage';

/** One documented result code. */
export interface CtiResultCodeDoc {
  /** The numeric code as received. */
  readonly code: number;
  /** Vendor symbolic name. */
  readonly name: string;
  /** Vendor meaning. */
  readonly meaning: string;
  /** Where the fact comes from. */
  readonly source: string;
}

/** A cycler's answer to a command, mapped to its documented meaning. */
export interface CtiResult {
  /** Whether the cycler reports success. */
  readonly ok: boolean;
  /** The raw result code, or `null` when no feedback was received (e.g. a superseded set-MV). */
  readonly code: number | null;
  /** Vendor symbolic name, `UNKNOWN_0xNN` for undocumented codes. */
  readonly name: string;
  /** Vendor meaning (the reason shown to users). */
  readonly reason: string;
  /** Document and section of the meaning. */
  readonly source: string;
}

const doc = (code: number, name: string, meaning: string, source: string): CtiResultCodeDoc => ({ code, name, meaning, source });

const START: readonly CtiResultCodeDoc[] = [
  doc(0x00, 'CTI_START_SUCCESS', 'success', 'README §5.2'),
  doc(0x10, 'CTI_START_INDEX', 'invalid channel index', 'README §5.2'),
  doc(0x11, 'CTI_START_ERROR', 'someone is using the Monitor window (start/resume dialog open)', 'README §5.2'),
  doc(0x12, 'CTI_START_CHANNEL_RUNNING', 'channel running or unsafe', 'README §5.2'),
  doc(0x13, 'CTI_START_CHANNEL_NOT_CONNECT', 'channel not connected to the DAQ', 'README §5.2'),
  doc(0x14, 'CTI_START_SCHEDULE_VALID', 'schedule not compatible with the system configuration', 'README §5.2'),
  doc(0x15, 'CTI_START_NO_SCHEDULE_ASSIGNED', 'no schedule assigned', 'README §5.2'),
  doc(0x16, 'CTI_START_SCHEDULE_VERSION', 'schedule version does not match the MITS version', 'README §5.2'),
  doc(0x17, 'CTI_START_POWER_PROTECTED', 'power protected (marked not used)', 'README §5.2 ([B2019])'),
  doc(0x18, 'CTI_START_RESULTS_FILE_SIZE_LIMIT', 'results file too large (marked not used)', 'README §5.2 ([B2019])'),
  doc(0x19, 'CTI_START_STEP_NUMBER', 'invalid step number', 'README §5.2'),
  doc(0x1a, 'CTI_START_NO_CAN_CONFIGURATION_ASSIGNED', 'no CAN configuration assigned (marked not used)', 'README §5.2 ([B2019])'),
  doc(0x1b, 'CTI_START_AUX_CHANNEL_MAP', 'invalid aux count in the schedule', 'README §5.2'),
  doc(0x1c, 'CTI_START_BUILD_AUX_COUNT', 'invalid built-in aux count', 'README §5.2'),
  doc(0x1d, 'CTI_START_POWER_CLAMP_CHECK', 'power clamp check (marked not used)', 'README §5.2'),
  doc(0x1e, 'CTI_START_AI', 'check the Aux Test Setting tab', 'README §5.2'),
  doc(0x1f, 'CTI_START_SAFOR_GROUPCHAN', 'no selected channels', 'README §5.2'),
  doc(0x20, 'CTI_START_BT6000RUNNINGGROUP', 'BT6000 running group (no description)', 'README §5.2'),
  doc(0x21, 'CTI_START_CHANNEL_DOWNLOADING_SCHEDULE', 'DAQ still downloading the schedule', 'README §5.2'),
  doc(0x22, 'CTI_START_DATABASE_QUERY_TEST_NAME_ERROR', 'database query error (connection probably closed)', 'README §5.2'),
  doc(0x23, 'CTI_START_TEXTNAME_EXISTS', 'test name empty or already exists', 'README §5.2'),
  doc(0x24, 'CTI_START_GO_STEP', 'invalid step number', 'README §5.2'),
  doc(0x25, 'CTI_START_INVALID_PARALLEL', 'invalid parallel channel number', 'README §5.2'),
  doc(0x26, 'CTI_START_SAFETY', 'schedule safety pre-check failed', 'README §5.2'),
  doc(0x27, 'CTI_START_SCHEDULE_NAME_DIFFERENT', 'schedule name different (marked not used)', 'README §5.2'),
  doc(0x28, 'CTI_START_BATTERYSIMULATION_NOT_PARALLEL', 'battery simulation error', 'README §5.2'),
];

const RESUME: readonly CtiResultCodeDoc[] = [
  ...START.filter((d) => d.code <= 0x22).map((d) => ({ ...d, name: d.name.replace('CTI_START', 'CTI_RESUME'), source: 'README §5.5 (as §5.2)' })),
  doc(0x23, 'RESUME_NO_TEST_NAME', 'no test name, or the schedule differs from the last one used', 'README §5.5'),
  doc(0x24, 'CTI_START_LOAD_RESUME', 'load resume (marked not used)', 'README §5.5'),
  doc(0x25, 'CTI_START_MAX_MULTIPLE_RESULT', 'max multiple result (marked not used)', 'README §5.5'),
  doc(0x26, 'CTI_RESUME_SAFETY', 'schedule safety pre-check failed', 'README §5.5'),
  doc(0x27, 'CTI_RESUME_BATTERYSIMULATION', 'battery simulation error', 'README §5.5'),
];

/** Every documented result code, per feedback family. */
export const CTI_RESULT_CODES: Readonly<Record<CtiResultFamily, readonly CtiResultCodeDoc[]>> = {
  login: [
    doc(1, 'LOGIN_SUCCESS', 'success', 'README §4.1'),
    doc(2, 'LOGIN_FAILED', 'failed: no permission or bad credentials', 'README §4.1'),
    doc(3, 'LOGIN_ALREADY', 'previously logged in, cannot modify information', 'README §4.1 ([I4.5])'),
  ],
  assignSchedule: [
    doc(0x00, 'CTI_ASSIGN_SUCCESS', 'success', 'README §5.1'),
    doc(0x10, 'CTI_ASSIGN_INDEX', 'channel does not exist', 'README §5.1'),
    doc(0x11, 'CTI_ASSIGN_ERROR', 'the Monitor window is in use', 'README §5.1'),
    doc(0x12, 'CTI_ASSIGN_SCHEDULE_NAME_EMPTY_ERROR', 'schedule name empty', 'README §5.1'),
    doc(0x13, 'CTI_ASSIGN_SCHEDULE_NOT_FIND_ERROR', 'schedule not found', 'README §5.1'),
    doc(0x14, 'CTI_ASSIGN_CHANNEL_RUNNING_ERROR', 'channel is running', 'README §5.1'),
    doc(0x15, 'CTI_ASSIGN_CHANNEL_DOWNLOAD_ERROR', 'channel is downloading another schedule', 'README §5.1'),
    doc(0x16, 'CTI_ASSIGN_BATCH_FILE_OPENED', 'a batch file is open', 'README §5.1'),
    doc(0x17, 'CTI_ASSIGN_SDU_CANNOT_ASSIGN_SCHEDULE', 'assign failed', 'README §5.1'),
    doc(0x18, 'CTI_ASSIGN_SDU_SAVE_FAILED', 'save failed (marked not used)', 'README §5.1'),
  ],
  startSchedule: START,
  stopSchedule: [
    doc(0x00, 'SUCCESS', 'success', 'README §5.3'),
    doc(0x10, 'CTI_STOP_INDEX', 'channel index does not exist', 'README §5.3'),
    doc(0x11, 'CTI_STOP_ERROR', 'someone else is controlling the Monitor window', 'README §5.3'),
    doc(0x12, 'CTI_STOP_NOT_RUNNING', 'channel not running (marked not used)', 'README §5.3'),
    doc(0x13, 'CTI_STOP_CHANNEL_NOT_CONNECT', 'channel not connected (marked not used)', 'README §5.3'),
  ],
  resumeSchedule: [doc(0x00, 'CTI_RESUME_SUCCESS', 'success', 'README §5.5'), ...RESUME],
  continueChannel: [
    doc(0x00, 'CTI_CONTINUE_SUCCESS', 'success', 'README §5.6'),
    doc(0x10, 'CTI_CONTINUE_INDEX', 'invalid channel index', 'README §5.6'),
    doc(0x11, 'CTI_CONTINUE_ERROR', 'someone is using the Monitor window', 'README §5.6'),
    doc(0x12, 'CTI_CONTINUE_CHANNEL_RUNNING', 'channel is running', 'README §5.6'),
    doc(0x13, 'CTI_CONTINUE_CHANNEL_NOT_CONNECT', 'not connected to the DAQ', 'README §5.6'),
    doc(0x14, 'CTI_CONTINUE_CHANNEL_CALIBRATING', 'channel is calibrating', 'README §5.6'),
    doc(0x15, 'CTI_CONTINUE_NOT_PAUSE_NORMAL', 'channel is not in a normal pause', 'README §5.6'),
    doc(0x16, 'CTI_CONTINUE_CHANNEL_UNSAFE', 'channel is unsafe', 'README §5.6'),
  ],
  jumpToStep: [
    doc(0x00, 'CTI_JUMP_SUCCESS', 'success', 'README §5.7'),
    doc(0x11, 'CTI_JUMP_ERROR', 'someone is using the Monitor window', 'README §5.7'),
    doc(0x12, 'CTI_JUMP_CHANNEL_RUNNING', 'channel not running', 'README §5.7'),
    doc(0x13, 'CTI_JUMP_CHANNEL_NOT_CONNECT', 'not connected to the DAQ', 'README §5.7'),
    doc(0x14, 'CTI_JUMP_SCHEDULE_VALID', 'invalid schedule', 'README §5.7'),
    doc(0x15, 'CTI_JUMP_NO_SCHEDULE_ASSIGNED', 'no schedule assigned', 'README §5.7'),
    doc(0x16, 'CTI_JUMP_SCHEDULE_VERSION', 'invalid schedule version', 'README §5.7'),
    doc(0x19, 'CTI_JUMP_STEP_NUMBER', 'schedule cannot contain more than 200 steps', 'README §5.7'),
    doc(0x21, 'CTI_JUMP_CHANNEL_DOWNLOADING_SCHEDULE', 'DAQ still downloading the schedule', 'README §5.7'),
    doc(0x24, 'CTI_JUMP_GO_STEP', 'invalid step limit setting in the schedule', 'README §5.7'),
    doc(0x25, 'CTI_JUMP_INVALID_PARALLEL', 'invalid parallel setting', 'README §5.7'),
    doc(0x26, 'CTI_JUMP_SAFETY', 'schedule safety check not safe', 'README §5.7'),
    doc(0x28, 'CTI_JUMP_BATTERYSIMULATION_NOT_PARALLEL', 'battery simulation not parallel', 'README §5.7'),
  ],
  setMetaVariable: [
    doc(0x00, 'CTI_SET_MV_SUCCESS', 'success', 'README §5.4'),
    doc(0x10, 'CTI_SET_MV_ERROR', 'set MV failed', 'README §5.4'),
    doc(0x11, 'CTI_SET_MV_METACODE_NOTEXIST', 'MetaCode does not exist', 'README §5.4'),
    doc(0x12, 'CTI_SET_MV_CHANNEL_NOT_STARTED', 'channel is not running', 'README §5.4'),
    doc(0x13, 'CTI_SET_MV_METACODE_NOTEXIST_Pro7', 'MetaCode does not exist in MITS Pro 7', 'README §5.4'),
    doc(0x14, 'CTI_SET_MV_METACODE_UPDATE_TOO_FREQUENTLY_200MS', 'updated too often: the limit is one update per 200 ms', 'README §5.4'),
  ],
  getSerialNumber: [doc(0x00, 'SUCCESS', 'success', 'README §5.8'), doc(0x10, 'ERROR', 'error', 'README §5.8')],
  sendConsoleMessage: [doc(1, 'SUCCESS', 'success (shown on the Console)', 'README §5.8'), doc(2, 'FAILED', 'failed', 'README §5.8')],
};

/** The success value of each family: 1 for login and console message, 0 elsewhere (README §5). */
export const CTI_SUCCESS_CODE: Readonly<Record<CtiResultFamily, number>> = {
  login: 1,
  assignSchedule: 0,
  startSchedule: 0,
  stopSchedule: 0,
  resumeSchedule: 0,
  continueChannel: 0,
  jumpToStep: 0,
  setMetaVariable: 0,
  getSerialNumber: 0,
  sendConsoleMessage: 1,
};

/**
 * Maps a raw result code to `{ ok, code, name, reason, source }`. Login result 3 ("already logged
 * in") counts as ok, as in pycti (README §4.1). Unknown codes give `UNKNOWN_0xNN` and ok = false.
 */
export function describeResult(family: CtiResultFamily, code: number): CtiResult {
  const entry = CTI_RESULT_CODES[family].find((d) => d.code === code);
  const ok = code === CTI_SUCCESS_CODE[family] || (family === 'login' && code === 3);
  if (entry === undefined) {
    return { ok, code, name: `UNKNOWN_0x${code.toString(16).toUpperCase().padStart(2, '0')}`, reason: `result code ${code} is not in the vendor tables`, source: 'README §5' };
  }
  return { ok, code, name: entry.name, reason: entry.meaning, source: entry.source };
}
