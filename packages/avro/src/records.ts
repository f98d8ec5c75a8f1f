/**
 * TypeScript shapes of the records in `schemas/*.avsc` (namespace `io.busbar.v1`). Field names are
 * the schema's (snake_case, SI units in value names). Conventions:
 * - `timestamp-micros` fields are `Date` (millisecond precision, see timestamp-micros.ts);
 * - `long` fields are `number`, safe integers ±(2^53 − 1) (larger is an invalid value on encode,
 *   and decoding a larger one from a foreign writer is `BB_AVRO_INVALID_BODY`);
 * - `["null", X]` fields are `X | null`; maps are plain objects;
 * - `bytes` are `Buffer`.
 * Each `XInput` type is what `encode` accepts: fields with a schema default may be omitted.
 */

/** Makes the keys `K` of `T` optional. */
type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Quality of a reading's values: GOOD as read, UNCERTAIN (stale, out of range, partly read), BAD (read failed). */
export type Quality = 'GOOD' | 'UNCERTAIN' | 'BAD';

/** `io.busbar.v1.Reading` (schemas/reading.avsc): one poll of one device channel. Topic busbar.readings.v1. */
export interface Reading {
  /** Configured device id; the Kafka key. */
  readonly device_id: string;
  /** modbus, arbin-cti, maccor-macnet, itron-corus, can-dbc, ... */
  readonly protocol: string;
  /** 1-based device channel; null for single-channel devices. */
  readonly channel: number | null;
  /** When measured (UTC), millisecond precision. */
  readonly timestamp: Date;
  /** Measured values, SI unit in the name: voltage_v, current_a, power_w, temperature_c, capacity_ah... */
  readonly values: Readonly<Record<string, number>>;
  /** Exact decimal strings (Corus volume_converted_m3: "12345.678"). Default {}. */
  readonly exact_values: Readonly<Record<string, string>>;
  /** Textual state: status, schedule_name, test_name, step_name. Default {}. */
  readonly states: Readonly<Record<string, string>>;
  /** Default GOOD. */
  readonly quality: Quality;
  /** Per-collector monotonically increasing poll number. Default 0. */
  readonly sequence: number;
  /**
   * Kind of record (schema v2), which decides its InfluxDB measurement: `cycler_channel`,
   * `meter_log:<log name>`, `meter_poll`, `modbus:<device class>`; grammar `<kind>[:<sub-kind>]`
   * (docs/data-model.md). Default null (producers older than v2; the historian then uses the protocol).
   * Decoding always sets it (null when absent); optional in this type so that readings built in code
   * before v2 still type-check.
   */
  readonly record_type?: string | null;
}
/** What `readingSerde.encode` accepts: {@link Reading} with channel, exact_values, states, quality, sequence, record_type optional. */
export type ReadingInput = WithDefaults<Reading, 'channel' | 'exact_values' | 'states' | 'quality' | 'sequence' | 'record_type'>;

/** Kind of a {@link DeviceEvent}. */
export type DeviceEventKind = 'CONNECTED' | 'DISCONNECTED' | 'FAULT' | 'STATE_CHANGE';

/** `io.busbar.v1.DeviceEvent` (schemas/device-event.avsc). Topic busbar.device-events.v1. */
export interface DeviceEvent {
  /** UUID of this event. */
  readonly event_id: string;
  /** Configured device id; the Kafka key. */
  readonly device_id: string;
  /** Protocol of the device. */
  readonly protocol: string;
  /** 1-based device channel; null when the event concerns the whole device. */
  readonly channel: number | null;
  /** When it happened (UTC). */
  readonly timestamp: Date;
  /** What happened. */
  readonly kind: DeviceEventKind;
  /** State before a STATE_CHANGE; null otherwise. */
  readonly previous_state: string | null;
  /** State after a STATE_CHANGE, or reported with a FAULT; null when none. */
  readonly state: string | null;
  /** Human-readable explanation; null when none. */
  readonly reason: string | null;
  /** BB_<AREA>_<REASON> code; null when none. */
  readonly error_code: string | null;
  /** Further context as text. Default {}. */
  readonly details: Readonly<Record<string, string>>;
}
/** What `deviceEventSerde.encode` accepts: nullable fields and details optional. */
export type DeviceEventInput = WithDefaults<DeviceEvent, 'channel' | 'previous_state' | 'state' | 'reason' | 'error_code' | 'details'>;

/**
 * One command parameter value. On the wire it is the union `["null","boolean","long","double","string"]`:
 * a `number` that is a safe integer (±(2^53 − 1)) is written as `long`, any other number as `double` (so `2.0`
 * travels as long 2 — the same JavaScript number either way); decoding gives `number` for both.
 */
export type CommandParameter = null | boolean | number | string;

/** `io.busbar.v1.CommandTarget`: the device channel a command acts on. */
export interface CommandTarget {
  /** Configured device id; the Kafka key of the command. */
  readonly device_id: string;
  /** 1-based device channel; null for single-channel devices or device-wide actions. */
  readonly channel: number | null;
}

/** `io.busbar.v1.Command` (schemas/command.avsc). Topic busbar.commands.v1. */
export interface Command {
  /** UUID of this command. */
  readonly command_id: string;
  /** Who issued it (user, service). */
  readonly issuer: string;
  /** When issued (UTC). */
  readonly issued_at: Date;
  /** Never executed after this instant (UTC). */
  readonly expires_at: Date;
  /** Device and channel acted on. */
  readonly target: CommandTarget;
  /** Namespaced action: modbus.write, arbin.set_meta_variable, ... */
  readonly action: string;
  /** Typed parameters, units in the names: value, setpoint_a, mv_index... Default {}. */
  readonly parameters: Readonly<Record<string, CommandParameter>>;
  /** Validate only, write nothing. Default false. */
  readonly dry_run: boolean;
  /** Id of the issuer's key that made `signature`; null when unsigned (decoding always sets it; absent in code = null). */
  readonly key_id?: string | null;
  /** Ed25519 (64 bytes) or HMAC-SHA256 (32 bytes) signature of the canonical bytes (docs/commands.md); null when unsigned (decoding always sets it; absent in code = null). */
  readonly signature?: Uint8Array | null;
}
/** What `commandSerde.encode` accepts: parameters, dry_run, key_id, signature and target.channel optional. */
export type CommandInput = Omit<WithDefaults<Command, 'parameters' | 'dry_run'>, 'target'> & {
  /** Device and channel acted on (channel defaults to null). */
  readonly target: WithDefaults<CommandTarget, 'channel'>;
};

/** Outcome of a command. */
export type CommandStatus = 'ACCEPTED' | 'REJECTED' | 'EXECUTED' | 'FAILED' | 'EXPIRED';

/** `io.busbar.v1.CommandResult` (schemas/command-result.avsc). Topic busbar.command-results.v1. */
export interface CommandResult {
  /** Id of the answered Command. */
  readonly command_id: string;
  /** Target device id; the Kafka key. */
  readonly device_id: string;
  /** 1-based device channel; null when none. */
  readonly channel: number | null;
  /** Action of the Command. */
  readonly action: string;
  /** Outcome. */
  readonly status: CommandStatus;
  /** BB_<AREA>_<REASON> or vendor code; null on success. */
  readonly reason_code: string | null;
  /** Human-readable reason; null on success. */
  readonly reason: string | null;
  /** When this outcome was reached (UTC). */
  readonly timestamp: Date;
  /** Further context as text. Default {}. */
  readonly details: Readonly<Record<string, string>>;
}
/** What `commandResultSerde.encode` accepts: channel, reason_code, reason, details optional. */
export type CommandResultInput = WithDefaults<CommandResult, 'channel' | 'reason_code' | 'reason' | 'details'>;

/** Severity of an alert. */
export type Severity = 'WARNING' | 'CRITICAL';
/** Whether an alert starts (FIRING), was taken on by a person (ACKNOWLEDGED, schema v2) or ends (RESOLVED). */
export type AlertState = 'FIRING' | 'RESOLVED' | 'ACKNOWLEDGED';

/** `io.busbar.v1.Alert` (schemas/alert.avsc). Topic busbar.alerts.v1. */
export interface Alert {
  /** UUID of the alert episode (FIRING, ACKNOWLEDGED and RESOLVED share it). */
  readonly alert_id: string;
  /** Rule id. */
  readonly rule: string;
  /** Configured device id; the Kafka key. */
  readonly device_id: string;
  /** 1-based device channel; null when none. */
  readonly channel: number | null;
  /** Signal watched (voltage_v, temperature_c, staleness_s...). */
  readonly signal: string;
  /** WARNING or CRITICAL. */
  readonly severity: Severity;
  /** FIRING, ACKNOWLEDGED or RESOLVED. */
  readonly state: AlertState;
  /** Triggering value in the signal's unit; null when none. */
  readonly value: number | null;
  /** Rule threshold in the signal's unit; null when none. */
  readonly threshold: number | null;
  /** When the transition happened (UTC). */
  readonly timestamp: Date;
  /** Human-readable notification text. */
  readonly message: string;
}
/** What `alertSerde.encode` accepts: channel, value, threshold optional. */
export type AlertInput = WithDefaults<Alert, 'channel' | 'value' | 'threshold'>;

/** `io.busbar.v1.DeadLetter` (schemas/dead-letter.avsc). Topic busbar.dead-letter.v1. */
export interface DeadLetter {
  /** Topic the record came from. */
  readonly source_topic: string;
  /** Its partition. */
  readonly partition: number;
  /** Its offset, decimal string (64-bit). */
  readonly offset: string;
  /** Original key bytes; null when none. */
  readonly key: Buffer | null;
  /** Original value bytes. */
  readonly payload: Buffer;
  /** BB_<AREA>_<REASON> of the failure. */
  readonly error_code: string;
  /** Human-readable failure. */
  readonly reason: string;
  /** When dead-lettered (UTC). */
  readonly timestamp: Date;
}
/** What `deadLetterSerde.encode` accepts: key optional. */
export type DeadLetterInput = WithDefaults<DeadLetter, 'key'>;
