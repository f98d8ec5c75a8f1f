/**
 * The Kafka-free half of a collector's routed-commands consumer: which commands of a consumed batch
 * run, in which order, which run without blocking the batch; and how a result is decorated exactly
 * once even when its publish is retried (docs/architecture.md "Single-session devices").
 * No I/O here: {@link CollectorKit.consumeRoutedCommands} wires it to a `DecodingConsumer` and a
 * `CommandPipeline`, and the unit tests drive it directly.
 */
import type { Command, CommandResultInput } from '@busbar/avro';
import type { Logger } from '@busbar/core';

/** Options of {@link RoutedCommandDispatcher}. */
export interface RoutedDispatchOptions {
  /** Whether this process owns the command's device; the others are skipped (another collector owns them). */
  owns(deviceId: string): boolean;
  /** Commands handed to {@link RoutedDispatchOptions.run} without waiting for them (see `RoutedCommandsOptions.concurrent`). */
  concurrent?(cmd: Command): boolean;
  /**
   * When true, a command that is not concurrent first waits for the concurrent commands of the
   * same device still in flight, so it never overtakes them (Arbin: a stop after set-MVs).
   * Default false: it runs at once (Maccor: a reset must not wait for paced set-points).
   */
  readonly orderAfterConcurrent?: boolean;
  /** Handles one command to its published outcome (a `CommandPipeline.process`). */
  run(cmd: Command): Promise<void>;
  /** Where failures of concurrent commands are logged (nobody else awaits them). */
  readonly logger: Logger;
}

/** Runs the owned commands of each batch in order, the concurrent ones in the background. */
export class RoutedCommandDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightByDevice = new Map<string, Set<Promise<void>>>();

  /** @param options - see {@link RoutedDispatchOptions}. */
  constructor(private readonly options: RoutedDispatchOptions) {}

  /**
   * Handles one batch, in order: skips commands of devices not owned, starts concurrent ones and
   * awaits the others.
   *
   * @throws what `run` throws for a non-concurrent command (the consumer then redelivers the
   *   batch); the concurrent ones never throw here, their failures are logged.
   */
  async handle(commands: readonly Command[]): Promise<void> {
    const o = this.options;
    for (const cmd of commands) {
      const deviceId = cmd.target.device_id;
      if (!o.owns(deviceId)) continue;
      if (o.concurrent?.(cmd)) {
        this.track(deviceId, o.run(cmd).catch((err: unknown) => o.logger.error({ err, commandId: cmd.command_id }, 'concurrent command handling failed')));
        continue;
      }
      if (o.orderAfterConcurrent) await Promise.all([...(this.inFlightByDevice.get(deviceId) ?? [])]);
      await o.run(cmd);
    }
  }

  /** Concurrent commands not finished yet. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Resolves once every concurrent command started so far has finished (never rejects). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private track(deviceId: string, p: Promise<void>): void {
    const mine = this.inFlightByDevice.get(deviceId) ?? new Set<Promise<void>>();
    this.inFlightByDevice.set(deviceId, mine);
    this.inFlight.add(p);
    mine.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      mine.delete(p);
      if (mine.size === 0 && this.inFlightByDevice.get(deviceId) === mine) this.inFlightByDevice.delete(deviceId);
    });
  }
}

/**
 * Wraps a result publisher so that `decorate` runs once per command: a publish that fails keeps
 * the decorated result, and the retry (the `CommandPipeline` republishing a pending outcome on
 * redelivery) publishes that same record. Decorators may thus consume state (Arbin's
 * `binding.finalize` takes the vendor details it kept for the command).
 *
 * @param publish - publishes one result; throws when Kafka does not acknowledge it.
 * @returns a `PipelineSinks.publishResult`; it throws what `publish` throws.
 */
export function decoratedResultSink(
  publish: (result: CommandResultInput) => Promise<void>,
  decorate?: (cmd: Command, result: CommandResultInput) => CommandResultInput,
): (result: CommandResultInput, cmd: Command) => Promise<void> {
  if (decorate === undefined) return (result) => publish(result);
  const unacknowledged = new Map<string, CommandResultInput>();
  return async (result, cmd) => {
    let out = unacknowledged.get(cmd.command_id);
    if (out === undefined) {
      out = decorate(cmd, result);
      unacknowledged.set(cmd.command_id, out);
    }
    await publish(out);
    unacknowledged.delete(cmd.command_id);
  };
}
