/**
 * CTI command codes (Arbin CTI reference README §1, from [I4.5] "Command codes" and [P1.1]).
 *
 * Feedback code rule (README §1): swap the two hex digits of the second-highest byte of the request
 * code, e.g. 0xEEAB0001 → 0xEEBA0001.
 */

/** Request and feedback command codes of the messages this driver implements. */
export const CTI_COMMANDS = {
  login: { request: 0xeeab0001, feedback: 0xeeba0001 },
  getChannelsInfo: { request: 0xeeab0003, feedback: 0xeeba0003 },
  assignSchedule: { request: 0xbb210001, feedback: 0xbb120001 },
  startSchedule: { request: 0xbb320004, feedback: 0xbb230004 },
  stopSchedule: { request: 0xbb310001, feedback: 0xbb130001 },
  resumeSchedule: { request: 0xbb310002, feedback: 0xbb130002 },
  jumpToStep: { request: 0xbb320005, feedback: 0xbb230005 },
  continueChannel: { request: 0xbb320006, feedback: 0xbb230006 },
  setMetaVariable: { request: 0xbb150001, feedback: 0xbb510001 },
  updateMetaVariables: { request: 0xbb150002, feedback: 0xbb510002 },
  getSerialNumber: { request: 0xbb340001, feedback: 0xbb430001 },
  sendConsoleMessage: { request: 0xcd140002, feedback: 0xcd410002 },
} as const;

/** Name of a CTI operation implemented by this driver. */
export type CtiCommandName = keyof typeof CTI_COMMANDS;

/**
 * The feedback code that answers `requestCode` by the swap rule of README §1 (does not know the two
 * "extended" exceptions, which this driver does not implement).
 */
export function feedbackCodeFor(requestCode: number): number {
  const b2 = (requestCode >>> 16) & 0xff;
  const swapped = ((b2 & 0x0f) << 4) | (b2 >>> 4);
  return ((requestCode & 0xff00ffff) | (swapped << 16)) >>> 0;
}

/** The operation name of a request code, or `undefined` when this driver does not implement it. */
export function commandNameOfRequest(requestCode: number): CtiCommandName | undefined {
  for (const [name, codes] of Object.entries(CTI_COMMANDS)) if (codes.request === requestCode >>> 0) return name as CtiCommandName;
  return undefined;
}
