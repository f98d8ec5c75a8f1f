/**
 * Bounds of a command's fields, checked before admission so that nothing unbounded reaches the
 * id memory, the journal, a log line, a result or a device: every text field has a length limit, a
 * command has at most {@link COMMAND_FIELD_LIMITS}.parameters parameters, and a numeric parameter
 * must be finite (Avro `double` carries NaN and ±Infinity; no device set-point means either).
 *
 * Lengths are JavaScript string lengths (UTF-16 code units), counted after Avro decoding.
 * Source of the limits: Busbar's own contract (schemas/command.avsc docs; device ids are 1–64
 * characters in every device file), not a vendor document.
 */
import { createHash } from 'node:crypto';
import type { Command, CommandResultInput } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';

/** Upper bounds of a command's fields (characters; `parameters`: count). */
export const COMMAND_FIELD_LIMITS = {
  /** `command_id`: a UUID is 36; room for prefixed ids. */
  command_id: 128,
  /** `issuer`: a user or service name. */
  issuer: 256,
  /** `target.device_id`: device ids are 1–64 characters in every device file. */
  device_id: 64,
  /** `action`: `protocol.verb`. */
  action: 64,
  /** Each parameter name. */
  parameter_name: 64,
  /** Each text parameter value (a schedule name, an exact decimal...). */
  parameter_text: 1024,
  /** Number of parameters. */
  parameters: 64,
  /** `key_id`: a key name. */
  key_id: 128,
  /** `signature`, bytes: Ed25519 is 64, HMAC-SHA256 32. */
  signature: 512,
} as const;

/** `sha256:<hex>` of the UTF-8 text: how an over-long id, device id or action is named in results and memory. */
export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * The id under which a command is remembered (once per id), journaled and answered: the
 * `command_id` itself when within {@link COMMAND_FIELD_LIMITS}, else its {@link digestOf}, so
 * memory per id stays bounded and a repeat of an over-long id is still recognised.
 */
export function commandKey(cmd: Pick<Command, 'command_id'>): string {
  return cmd.command_id.length <= COMMAND_FIELD_LIMITS.command_id ? cmd.command_id : digestOf(cmd.command_id);
}

function tooLong(field: string, length: number, limit: number, unit = 'characters'): CommandRefusedError {
  return new CommandRefusedError('BB_COMMAND_FIELD_TOO_LONG', `${field} is ${length} ${unit} long; the limit is ${limit}`, { field, length, limit });
}

/** At most this many characters of a parameter name are quoted in a reason. */
const QUOTED = 32;

function quoted(name: string): string {
  return JSON.stringify(name.length <= QUOTED ? name : `${name.slice(0, QUOTED)}…`);
}

/**
 * Checks every bounded field of `cmd`, in a fixed order (command_id, issuer, target.device_id,
 * action, key_id, signature (bytes), number of parameters, then each parameter by name: its name, a text value's length, a
 * number's finiteness).
 *
 * @throws {CommandRefusedError} `BB_COMMAND_FIELD_TOO_LONG` (context: `field`, `length`, `limit`) or
 *   `BB_COMMAND_PARAMETER_NOT_FINITE` (context: `parameter`, `value`) — the first violation found.
 */
export function checkCommandFields(cmd: Command): void {
  const L = COMMAND_FIELD_LIMITS;
  if (cmd.command_id.length > L.command_id) throw tooLong('command_id', cmd.command_id.length, L.command_id);
  if (cmd.issuer.length > L.issuer) throw tooLong('issuer', cmd.issuer.length, L.issuer);
  if (cmd.target.device_id.length > L.device_id) throw tooLong('target.device_id', cmd.target.device_id.length, L.device_id);
  if (cmd.action.length > L.action) throw tooLong('action', cmd.action.length, L.action);
  const keyId = cmd.key_id ?? '';
  if (keyId.length > L.key_id) throw tooLong('key_id', keyId.length, L.key_id);
  const signature = cmd.signature ?? null;
  if (signature !== null && signature.length > L.signature) throw tooLong('signature', signature.length, L.signature, 'bytes');
  const names = Object.keys(cmd.parameters);
  if (names.length > L.parameters) throw tooLong('parameters', names.length, L.parameters, 'entries');
  for (const name of names.sort()) {
    if (name.length > L.parameter_name) throw tooLong(`parameter name ${quoted(name)}`, name.length, L.parameter_name);
    const v = cmd.parameters[name];
    if (typeof v === 'string' && v.length > L.parameter_text) throw tooLong(`parameter ${name}`, v.length, L.parameter_text);
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new CommandRefusedError('BB_COMMAND_PARAMETER_NOT_FINITE', `parameter ${name} is ${String(v)}; a command parameter must be a finite number`, { parameter: name, value: String(v) });
    }
  }
}

/**
 * The identifying fields of a result about `cmd`, each bounded: `command_id` is {@link commandKey};
 * `device_id` and `action` are echoed as they are when within their limits, else as their
 * {@link digestOf} (the result is keyed by device id: an unbounded key would make an unbounded record).
 */
export function resultIdentity(cmd: Command): Pick<CommandResultInput, 'command_id' | 'device_id' | 'channel' | 'action'> {
  const L = COMMAND_FIELD_LIMITS;
  return {
    command_id: commandKey(cmd),
    device_id: cmd.target.device_id.length <= L.device_id ? cmd.target.device_id : digestOf(cmd.target.device_id),
    channel: cmd.target.channel,
    action: cmd.action.length <= L.action ? cmd.action : digestOf(cmd.action),
  };
}

/**
 * Reason codes of results given to commands that were refused BEFORE their id was admitted
 * (unauthenticated or out of bounds): anyone who can write the commands topic can cause them, so
 * they do not answer the id — a service rebuilding its memory of answered ids from the results
 * topic skips them, and the real command with that id still runs.
 */
export const PRE_ADMISSION_REFUSALS: ReadonlySet<string> = new Set(['BB_COMMAND_UNSIGNED', 'BB_COMMAND_UNKNOWN_KEY', 'BB_COMMAND_BAD_SIGNATURE', 'BB_COMMAND_FIELD_TOO_LONG', 'BB_COMMAND_PARAMETER_NOT_FINITE']);

/**
 * Whether a published result answers its command id (see {@link PRE_ADMISSION_REFUSALS}).
 *
 * @param result - a result read back from the results topic (`status`, `reason_code`).
 */
export function answersCommandId(result: { readonly status: string; readonly reason_code?: string | null }): boolean {
  return !(result.status === 'REJECTED' && result.reason_code !== undefined && result.reason_code !== null && PRE_ADMISSION_REFUSALS.has(result.reason_code));
}
