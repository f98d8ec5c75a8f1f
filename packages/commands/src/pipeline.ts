/**
 * Publishing what the {@link CommandExecutor} decides, so that every command gets exactly one
 * result even when publishing fails.
 *
 * A consumer redelivers a batch whose handler threw. The executor has already remembered the ids
 * of that batch, so on redelivery they come back as duplicates. The pipeline keeps each
 * result (or routing) until Kafka acknowledged it; a duplicate whose outcome is still pending is
 * published then — not executed again. A true duplicate (a second command with the same id) finds
 * nothing pending and publishes nothing.
 */
import type { Command, CommandResultInput } from '@busbar/avro';
import type { CommandExecutor } from './executor.js';
import { commandKey } from './fields.js';

/** Where the pipeline publishes. */
export interface PipelineSinks {
  /** Publishes one result (keyed by device id) of `cmd`; resolves when acknowledged. */
  publishResult(result: CommandResultInput, cmd: Command): Promise<void>;
  /** Publishes a command to the topic `to` for the collector that owns the device (the commander only; a collector executes what it owns). */
  route?(cmd: Command, to: string): Promise<void>;
}

type Pending = { readonly kind: 'result'; readonly result: CommandResultInput; readonly cmd: Command } | { readonly kind: 'route'; readonly to: string; readonly cmd: Command };

/** Executes and publishes commands one at a time, at most once each, exactly one outcome each. */
export class CommandPipeline {
  private readonly pending = new Map<string, Pending>();

  /** @param executor - admission, validation, execution. @param sinks - where outcomes go. */
  constructor(private readonly executor: CommandExecutor, private readonly sinks: PipelineSinks) {}

  /**
   * Handles one command and publishes its outcome.
   *
   * @throws the sink's error when publishing fails; the outcome stays pending and is published
   *   when the same command is delivered again (never executed twice).
   */
  async process(cmd: Command): Promise<void> {
    const handled = await this.executor.handle(cmd);
    const key = commandKey(cmd);
    let out: Pending | undefined;
    if (handled.kind === 'duplicate') out = this.pending.get(key);
    else if (handled.kind === 'result') out = { kind: 'result', result: handled.result, cmd };
    else out = { kind: 'route', to: handled.to, cmd };
    if (!out) return;
    this.pending.set(key, out);
    if (out.kind === 'result') await this.sinks.publishResult(out.result, out.cmd);
    else if (this.sinks.route) await this.sinks.route(out.cmd, out.to);
    else throw new Error(`command ${cmd.command_id} resolved to a route, but this pipeline has no route sink`);
    this.pending.delete(key);
  }

  /** Outcomes decided but not yet acknowledged by Kafka. */
  get pendingCount(): number {
    return this.pending.size;
  }
}
