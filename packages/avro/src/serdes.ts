/**
 * The serdes of Busbar's topic values, over the default catalogue ({@link defaultSchemaCatalog},
 * read on first use from `BUSBAR_SCHEMAS_DIR` or the repository's `schemas/`).
 */
import { loadSchemas, type SchemaCatalog } from './catalog.js';
import type { Alert, AlertInput, Command, CommandInput, CommandParameter, CommandResult, CommandResultInput, DeadLetter, DeadLetterInput, DeviceEvent, DeviceEventInput, Reading, ReadingInput } from './records.js';
import { createSingleObjectSerde, type Serde } from './serde.js';

let catalog: SchemaCatalog | undefined;

/**
 * The process-wide catalogue used by the exported serdes, loaded on first call.
 * @throws {AvroSchemaError} as `loadSchemas()`.
 */
export function defaultSchemaCatalog(): SchemaCatalog {
  catalog ??= loadSchemas();
  return catalog;
}

/** Serde of `io.busbar.v1.Reading` (topic busbar.readings.v1). */
export const readingSerde: Serde<Reading, ReadingInput> = createSingleObjectSerde(defaultSchemaCatalog, 'Reading');

/** Serde of `io.busbar.v1.DeviceEvent` (topic busbar.device-events.v1). */
export const deviceEventSerde: Serde<DeviceEvent, DeviceEventInput> = createSingleObjectSerde(defaultSchemaCatalog, 'DeviceEvent');

/**
 * Wraps each command parameter in its union branch (avsc's wrapped-union form, needed because
 * `long` and `double` are both JS numbers): safe integers (±(2^53 − 1)) → `long`, other numbers → `double`.
 * Anything else is passed through unwrapped, so validation reports `parameters.<name>`.
 */
export function wrapCommandParameters(parameters: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parameters)) {
    if (v === null) out[k] = null;
    else if (typeof v === 'boolean') out[k] = { boolean: v };
    else if (typeof v === 'number') out[k] = Number.isSafeInteger(v) ? { long: v } : { double: v };
    else if (typeof v === 'string') out[k] = { string: v };
    else out[k] = v;
  }
  return out;
}

function unwrapCommandParameters(parameters: Record<string, unknown>): Record<string, CommandParameter> {
  const out: Record<string, CommandParameter> = {};
  for (const [k, v] of Object.entries(parameters)) {
    out[k] = v === null ? null : (Object.values(v as Record<string, CommandParameter>)[0] as CommandParameter);
  }
  return out;
}

/** Serde of `io.busbar.v1.Command` (topic busbar.commands.v1); parameter numbers as described in {@link CommandParameter}. */
export const commandSerde: Serde<Command, CommandInput> = createSingleObjectSerde<Command, CommandInput>(defaultSchemaCatalog, 'Command', {
  toAvro: (c) => ({
    ...c,
    ...(c.parameters === undefined ? {} : { parameters: wrapCommandParameters(c.parameters) }),
    // avsc writes `bytes` from a Buffer only; a plain Uint8Array signature is viewed as one (no copy)
    ...(c.signature instanceof Uint8Array && !Buffer.isBuffer(c.signature) ? { signature: Buffer.from(c.signature.buffer, c.signature.byteOffset, c.signature.byteLength) } : {}),
  }),
  fromAvro: (v) => {
    const c = v as Command & { parameters: Record<string, unknown> };
    return { ...c, parameters: unwrapCommandParameters(c.parameters) };
  },
});

/** Serde of `io.busbar.v1.CommandResult` (topic busbar.command-results.v1). */
export const commandResultSerde: Serde<CommandResult, CommandResultInput> = createSingleObjectSerde(defaultSchemaCatalog, 'CommandResult');

/** Serde of `io.busbar.v1.Alert` (topic busbar.alerts.v1). */
export const alertSerde: Serde<Alert, AlertInput> = createSingleObjectSerde(defaultSchemaCatalog, 'Alert');

/** Serde of `io.busbar.v1.DeadLetter` (topic busbar.dead-letter.v1). */
export const deadLetterSerde: Serde<DeadLetter, DeadLetterInput> = createSingleObjectSerde(defaultSchemaCatalog, 'DeadLetter');
