/**
 * The demo's own Kafka client: one producer for `busbar.commands.v1` and one consumer (its own group,
 * from the beginning) of `busbar.command-results.v1`, `busbar.readings.v1` and `busbar.device-events.v1`,
 * so that each step of the scenario can send a command and wait for its result, or wait for a reading
 * or a device event published by a collector. Records are Avro single-object encoded (`commandSerde`,
 * `commandResultSerde`, `readingSerde`, `deviceEventSerde` of @busbar/avro).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
import type { CommandParameter, CommandResult, DeviceEvent, Reading } from '@busbar/avro';
import { commandResultSerde, commandSerde, deviceEventSerde, readingSerde } from '@busbar/avro';
import type { Topics } from './stack.js';

/**
 * Polls `probe` every 250 ms until it returns a value other than `undefined` (a thrown error counts
 * as "not yet" and is kept for the message).
 *
 * @param what - what is awaited, for the error message.
 * @param timeoutMs - how long to wait, ms.
 * @throws Error `timed out after <timeoutMs> ms waiting for <what>` (with the probe's last error).
 */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A command as the demo sends it: target, action and parameters (id, issuer and times are added). */
export interface DemoCommand {
  /** Device id and, for multi-channel devices, the 1-based channel. */
  readonly target: { readonly device_id: string; readonly channel?: number | null };
  /** Action name, e.g. `arbin.set_meta_variable`. */
  readonly action: string;
  /** Action parameters. */
  readonly parameters: Readonly<Record<string, CommandParameter>>;
}

/** Options of {@link DemoBus}. */
export interface DemoBusOptions {
  /** Kafka bootstrap brokers (`host:port`). */
  readonly brokers: readonly string[];
  /** The stack's topic names. */
  readonly topics: Topics;
  /** Which consumed readings to keep in memory for {@link DemoBus.reading} (the others are dropped). */
  readonly keepReading: (r: Reading) => boolean;
  /** Which consumed device events to keep in memory for {@link DemoBus.event} (the others are dropped). @default none */
  readonly keepEvent?: (e: DeviceEvent) => boolean;
  /** Kept readings at most (the oldest are dropped). @default 1000 */
  readonly maxReadings?: number;
}

/** Producer + consumer of the demo; {@link DemoBus.ready} connects them once. */
export class DemoBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly results = new Map<string, CommandResult>();
  private readonly readings: Reading[] = [];
  private readonly events: DeviceEvent[] = [];
  private starting: Promise<void> | undefined;

  /** @param options - see {@link DemoBusOptions}. */
  constructor(private readonly options: DemoBusOptions) {
    this.kafka = new Kafka({ clientId: 'busbar-demo', brokers: [...options.brokers], logLevel: logLevel.NOTHING });
    this.producer = this.kafka.producer();
    this.consumer = this.kafka.consumer({ groupId: `busbar-demo-${randomUUID()}` });
  }

  /** Connects the producer and starts the consumer (idempotent; later calls return the same promise). */
  ready(): Promise<void> {
    this.starting ??= (async () => {
      const { topics } = this.options;
      await Promise.all([this.producer.connect(), this.consumer.connect()]);
      await this.consumer.subscribe({ topics: [topics.commandResults, topics.readings, topics.deviceEvents], fromBeginning: true });
      await this.consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (!message.value) return;
          if (topic === topics.commandResults) {
            const r = commandResultSerde.decode(message.value);
            // the final outcome wins over an intermediate ACCEPTED
            if (r.status !== 'ACCEPTED' || !this.results.has(r.command_id)) this.results.set(r.command_id, r);
            return;
          }
          if (topic === topics.deviceEvents) {
            const e = deviceEventSerde.decode(message.value);
            if (this.options.keepEvent?.(e) === true) this.events.push(e);
            if (this.events.length > (this.options.maxReadings ?? 1000)) this.events.shift();
            return;
          }
          const reading = readingSerde.decode(message.value);
          if (!this.options.keepReading(reading)) return;
          this.readings.push(reading);
          if (this.readings.length > (this.options.maxReadings ?? 1000)) this.readings.shift();
        },
      });
    })();
    return this.starting;
  }

  /**
   * Publishes a command on the commands topic (key = device id), expiring in 60 s.
   *
   * @returns its `command_id` (a fresh UUID).
   */
  async send(cmd: DemoCommand): Promise<string> {
    await this.ready();
    const command_id = randomUUID();
    const value = commandSerde.encode({
      command_id, issuer: 'busbar-demo', issued_at: new Date(), expires_at: new Date(Date.now() + 60_000),
      target: { device_id: cmd.target.device_id, channel: cmd.target.channel ?? null }, action: cmd.action, parameters: cmd.parameters,
    });
    await this.producer.send({ topic: this.options.topics.commands, messages: [{ key: cmd.target.device_id, value }] });
    return command_id;
  }

  /** The final result of `commandId` seen so far (not ACCEPTED), if any. */
  resultOf(commandId: string): CommandResult | undefined {
    const r = this.results.get(commandId);
    return r && r.status !== 'ACCEPTED' ? r : undefined;
  }

  /**
   * Sends `cmd` and waits for its final result.
   *
   * @throws Error when no result arrives within `timeoutMs`.
   */
  async command(cmd: DemoCommand, timeoutMs = 30_000): Promise<{ id: string; result: CommandResult }> {
    const id = await this.send(cmd);
    const result = await until(`the result of ${cmd.action} ${id} on ${this.options.topics.commandResults}`, timeoutMs, () => this.resultOf(id));
    return { id, result };
  }

  /**
   * Waits for a kept reading (see {@link DemoBusOptions.keepReading}) matching `match`.
   *
   * @throws Error when none arrives within `timeoutMs`.
   */
  async reading(what: string, match: (r: Reading) => boolean, timeoutMs = 60_000): Promise<Reading> {
    await this.ready();
    return until(what, timeoutMs, () => this.readings.find(match));
  }

  /**
   * Waits for a kept device event (see {@link DemoBusOptions.keepEvent}) matching `match`, in
   * arrival order.
   *
   * @throws Error when none arrives within `timeoutMs`.
   */
  async event(what: string, match: (e: DeviceEvent) => boolean, timeoutMs = 30_000): Promise<DeviceEvent> {
    await this.ready();
    return until(what, timeoutMs, () => this.events.find(match));
  }

  /** Disconnects (errors ignored). */
  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }
}

/**
 * One line for a command result: `EXECUTED command_id=<id> device=<id> [channel=<n>] action=<a>
 * [reason_code=<c> reason=<text>] at <ISO time> [details k=v ...]`.
 */
export function formatResult(r: CommandResult): string {
  const details = Object.entries(r.details).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${r.status} command_id=${r.command_id} device=${r.device_id}${r.channel !== null ? ` channel=${r.channel}` : ''} action=${r.action}`
    + `${r.reason_code ? ` reason_code=${r.reason_code} reason=${r.reason ?? ''}` : ''} at ${r.timestamp.toISOString()}${details ? ` details ${details}` : ''}`;
}
