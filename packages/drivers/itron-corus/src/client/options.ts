/**
 * Every per-device option of the Corus link layer (itron-corus README §2, §3, §10), as one typed,
 * documented object with named defaults, validated once by {@link resolveLinkOptions} (zod schema
 * {@link corusLinkOptionsSchema}, exported so a device file can embed it). Serial line settings are
 * {@link corusSerialOptionsSchema} (used by `serialTransport`).
 *
 * Defaults are today's behaviour where it was right (wake-up 200 × 00 and 3 attempts, V '0', Y '6',
 * echoed password, the §10 timeouts) and the reference's where it was not: the option select echoes
 * the Z the device offered (§2.2) instead of iflag's fixed '7'.
 */
import { z } from 'zod';
import { CorusError } from '../errors.js';

const ms = (max: number) => z.number().int().min(0).max(max);
const digit = z.string().regex(/^[0-9]$/, 'must be one ASCII digit');

/** Step timeouts in ms (README §10, Busbar column). */
export interface CorusTimeouts {
  /** Wake-up reply `00 00 00`, per attempt. @default 5000 */
  readonly wakeupMs?: number;
  /** Identification line `/XXXZ…` CR LF. @default 10000 */
  readonly identificationMs?: number;
  /** Password message, and the ACK after the answer. @default 5000 */
  readonly passwordMs?: number;
  /** First byte of a read answer frame. @default 10000 */
  readonly responseMs?: number;
  /** ACK after a write. @default 5000 */
  readonly writeAckMs?: number;
  /** Each database frame. @default 10000 */
  readonly databaseFrameMs?: number;
  /** Whole database request (all frames). @default 120000 */
  readonly databaseTotalMs?: number;
  /** Longest gap between two bytes of one answer (identification, frame, password). @default 2000 */
  readonly interCharacterMs?: number;
  /**
   * Quiet time after a complete answer before it is used: any byte in it means the answer may be a
   * duplicated or late one (`BB_CORUS_STALE_ANSWER`, the link is dropped). 0 checks only what
   * arrived with the answer. @default 50
   */
  readonly answerSettleMs?: number;
}

/** Option-select characters `06 V Z Y CR LF` (README §3.3). */
export interface OptionSelectOptions {
  /** V: protocol control. @default '0' (normal protocol procedure) */
  readonly v?: string;
  /** Z: `'echo'` sends the identification's Z (README §2.2); a digit is sent as given (iflag: '7'). @default 'echo' */
  readonly z?: string;
  /** Y: mode. @default '6' (manufacturer-specific; iflag 0.x sent '0') */
  readonly y?: string;
}

/** Per-device link options (README §2, §3, §10). Every field is optional; see the defaults. */
export interface CorusLinkOptions {
  /** Zero bytes in the wake-up run (README §3.1: ≥ 12; iflag 200, [sevc] 1000). @default 200 */
  readonly wakeupBytes?: number;
  /** Wake-up attempts before `BB_CORUS_WAKEUP_FAILED`. @default 3 */
  readonly wakeupAttempts?: number;
  /** Pause between wake-up attempts, ms (README §3.1: [sevc] 5000). @default 500 */
  readonly wakeupRetryDelayMs?: number;
  /** Pause after the wake-up reply before the sign-on request, ms ([sevc] 2000). @default 0 */
  readonly wakeupPauseMs?: number;
  /** Device address between `/?` and `!` (README §3.2; IEC 62056-21: ≤ 32 of 0-9 A-Z a-z space). @default '' (none) */
  readonly deviceAddress?: string;
  /** Option-select characters. @default V '0', Z 'echo', Y '6' */
  readonly optionSelect?: OptionSelectOptions;
  /** Password answer (README §3.4): unset echoes the device's message (iflag); a string answers with it + CRC. */
  readonly password?: string;
  /** Length of the device's password message, bytes (4 characters + CRC, README §3.4 [I]). @default 6 */
  readonly passwordMessageLength?: number;
  /** Longest identification line accepted, bytes. @default 128 */
  readonly maxIdentificationLength?: number;
  /** NAKs allowed per database frame (README §9.4, §10). @default 3 */
  readonly databaseNakLimit?: number;
  /** Step timeouts. */
  readonly timeouts?: CorusTimeouts;
}

/** {@link CorusLinkOptions} with every default filled in. */
export interface ResolvedLinkOptions {
  /** See {@link CorusLinkOptions.wakeupBytes}. */
  readonly wakeupBytes: number;
  /** See {@link CorusLinkOptions.wakeupAttempts}. */
  readonly wakeupAttempts: number;
  /** See {@link CorusLinkOptions.wakeupRetryDelayMs}. */
  readonly wakeupRetryDelayMs: number;
  /** See {@link CorusLinkOptions.wakeupPauseMs}. */
  readonly wakeupPauseMs: number;
  /** See {@link CorusLinkOptions.deviceAddress}. */
  readonly deviceAddress: string;
  /** See {@link CorusLinkOptions.optionSelect}. */
  readonly optionSelect: Required<OptionSelectOptions>;
  /** See {@link CorusLinkOptions.password}. */
  readonly password?: string;
  /** See {@link CorusLinkOptions.passwordMessageLength}. */
  readonly passwordMessageLength: number;
  /** See {@link CorusLinkOptions.maxIdentificationLength}. */
  readonly maxIdentificationLength: number;
  /** See {@link CorusLinkOptions.databaseNakLimit}. */
  readonly databaseNakLimit: number;
  /** See {@link CorusLinkOptions.timeouts}. */
  readonly timeouts: Required<CorusTimeouts>;
}

/** The defaults of {@link CorusLinkOptions} (README §3, §10). */
export const DEFAULT_LINK_OPTIONS: ResolvedLinkOptions = Object.freeze({
  wakeupBytes: 200,
  wakeupAttempts: 3,
  wakeupRetryDelayMs: 500,
  wakeupPauseMs: 0,
  deviceAddress: '',
  optionSelect: Object.freeze({ v: '0', z: 'echo', y: '6' }),
  passwordMessageLength: 6,
  maxIdentificationLength: 128,
  databaseNakLimit: 3,
  timeouts: Object.freeze({ wakeupMs: 5000, identificationMs: 10_000, passwordMs: 5000, responseMs: 10_000, writeAckMs: 5000, databaseFrameMs: 10_000, databaseTotalMs: 120_000, interCharacterMs: 2000, answerSettleMs: 50 }),
});

const D = DEFAULT_LINK_OPTIONS;
const T = D.timeouts;

/**
 * zod schema of {@link CorusLinkOptions}: parses to {@link ResolvedLinkOptions} (defaults filled,
 * unknown keys dropped). For a device file: `link: corusLinkOptionsSchema.optional()`.
 */
export const corusLinkOptionsSchema = z.object({
  wakeupBytes: z.number().int().min(12).max(10_000).default(D.wakeupBytes),
  wakeupAttempts: z.number().int().min(1).max(10).default(D.wakeupAttempts),
  wakeupRetryDelayMs: ms(60_000).default(D.wakeupRetryDelayMs),
  wakeupPauseMs: ms(60_000).default(D.wakeupPauseMs),
  deviceAddress: z.string().regex(/^[0-9A-Za-z ]{0,32}$/, 'IEC 62056-21 allows up to 32 characters of 0-9, A-Z, a-z and space').default(D.deviceAddress),
  optionSelect: z
    .object({ v: digit.default(D.optionSelect.v), z: z.union([z.literal('echo'), digit]).default(D.optionSelect.z), y: digit.default(D.optionSelect.y) })
    .strict()
    .prefault({}),
  password: z.string().regex(/^[\x20-\x7e]+$/, 'must be 1+ printable ASCII characters').optional(),
  passwordMessageLength: z.number().int().min(3).max(64).default(D.passwordMessageLength),
  maxIdentificationLength: z.number().int().min(8).max(1024).default(D.maxIdentificationLength),
  databaseNakLimit: z.number().int().min(0).max(20).default(D.databaseNakLimit),
  timeouts: z
    .object({
      wakeupMs: ms(600_000).min(1).default(T.wakeupMs),
      identificationMs: ms(600_000).min(1).default(T.identificationMs),
      passwordMs: ms(600_000).min(1).default(T.passwordMs),
      responseMs: ms(600_000).min(1).default(T.responseMs),
      writeAckMs: ms(600_000).min(1).default(T.writeAckMs),
      databaseFrameMs: ms(600_000).min(1).default(T.databaseFrameMs),
      databaseTotalMs: ms(3_600_000).min(1).default(T.databaseTotalMs),
      interCharacterMs: ms(600_000).min(1).default(T.interCharacterMs),
      answerSettleMs: ms(10_000).default(T.answerSettleMs),
    })
    .strict()
    .prefault({}),
});

/**
 * Validates `options` and fills in the defaults.
 * @throws {CorusError} `BB_CORUS_CONFIG_INVALID` naming each bad field (`timeouts.responseMs: …`).
 */
export function resolveLinkOptions(options: CorusLinkOptions = {}): ResolvedLinkOptions {
  const r = corusLinkOptionsSchema.safeParse(options);
  if (!r.success) throw invalid('link options', r.error);
  return r.data;
}

/** Serial line settings of one device (README §2.2 [I]). */
export interface CorusSerialOptions {
  /** Sign-on speed, baud (7E1). @default 1200 ([sevc]; IEC 62056-21 starts at 300) */
  readonly signOnBaudRate?: number;
  /** Session speed for fixed-speed links; unset switches to the rate Z codes (README §2.2). */
  readonly sessionBaudRate?: number;
  /**
   * Pause after the option select was drained and before the speed change, ms. serialport's
   * `update()` discards the port's unsent output and unread input (TCIOFLUSH, @serialport/bindings-cpp
   * `serialport_unix.cpp`), and USB adapters and ptys may report "drained" while bytes are still on
   * their way, which would lose the end of the option select; the device answers only after its
   * reaction time (IEC 62056-21), so a short pause costs nothing. @default 20
   */
  readonly baudSwitchDelayMs?: number;
}

/** zod schema of {@link CorusSerialOptions} (defaults filled). */
export const corusSerialOptionsSchema = z.object({
  signOnBaudRate: z.number().int().positive().default(1200),
  sessionBaudRate: z.number().int().positive().optional(),
  baudSwitchDelayMs: ms(10_000).default(20),
});

/** The CorusError of a failed parse, one line per issue with its field path. */
export function invalid(what: string, error: z.ZodError): CorusError {
  const lines = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return new CorusError('BB_CORUS_CONFIG_INVALID', `${what}: ${lines.join('; ')}`, { retriable: false, context: { fields: error.issues.map((i) => i.path.join('.')).join(',') } });
}
