/**
 * `busbar command send`: builds a Command, signs it (Ed25519 or HMAC-SHA256, docs/commands.md),
 * publishes it on the commands topic keyed by its device id and, with `--wait`, waits for the
 * result with the same command id on the results topic and prints it as one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Consumer } from 'kafkajs';
import type { CommandInput, CommandParameter, CommandResult } from '@busbar/avro';
import { commandResultSerde, commandSerde } from '@busbar/avro';
import { readCommandKey, signCommand, signingAlgorithmOf } from '@busbar/commands';
import { ConfigError } from '@busbar/runtime';
import type { CliIo } from './io.js';
import { EXIT, jsonLine } from './io.js';
import { awaitRecord } from './await-record.js';
import { connect } from './connection.js';
import type { ConnectionOptions } from './connection.js';

/** Options of `busbar command send` (see its `--help`). */
export interface SendOptions extends ConnectionOptions {
  readonly device: string;
  readonly action: string;
  readonly channel?: number | undefined;
  readonly param: readonly string[];
  readonly issuer?: string | undefined;
  readonly key?: string | undefined;
  readonly keyId?: string | undefined;
  readonly lifetimeS: number;
  readonly dryRun: boolean;
  readonly commandId?: string | undefined;
  readonly wait: boolean;
  readonly timeoutS: number;
}

/** Statuses after which no other result about the command follows (ACCEPTED: a dry run's answer). */
const FINAL = new Set(['EXECUTED', 'REJECTED', 'FAILED', 'EXPIRED', 'ACCEPTED']);

/**
 * `k=v` → a typed parameter: `true`/`false` → boolean, `null` → null, a JSON number → number, anything
 * else text; `k:=text` keeps the value as text even when it looks like a number.
 *
 * @throws {ConfigError} `BB_CONFIG_INVALID` when there is no `=`, or the name is empty.
 */
export function parseParam(item: string): [string, CommandParameter] {
  const m = /^([^=:]+)(:?)=(.*)$/s.exec(item);
  const name = m?.[1];
  const value = m?.[3];
  if (!m || name === undefined || value === undefined || name.trim() === '') throw new ConfigError('BB_CONFIG_INVALID', `--param ${item}: expected NAME=VALUE (or NAME:=TEXT for text that looks like a number)`);
  if (m[2] === ':') return [name, value];
  if (value === 'true' || value === 'false') return [name, value === 'true'];
  if (value === 'null') return [name, null];
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return [name, Number(value)];
  return [name, value];
}

/**
 * Builds the command (signed when a key is given) without sending it.
 *
 * @param now - the issue instant, ms.
 * @throws {ConfigError} `BB_CONFIG_INVALID` (a bad `--param`, `--key` without `--key-id`); `BB_COMMAND_KEY_UNUSABLE` (the key file).
 */
export function buildCommand(o: SendOptions, env: NodeJS.ProcessEnv, now: number): CommandInput {
  const parameters: Record<string, CommandParameter> = {};
  for (const item of o.param) {
    const [k, v] = parseParam(item);
    parameters[k] = v;
  }
  const cmd: CommandInput = {
    command_id: o.commandId ?? randomUUID(),
    issuer: o.issuer ?? env['BUSBAR_ISSUER'] ?? userInfo().username,
    issued_at: new Date(now),
    expires_at: new Date(now + Math.round(o.lifetimeS * 1000)),
    target: { device_id: o.device, channel: o.channel ?? null },
    action: o.action,
    parameters,
    dry_run: o.dryRun,
  };
  const keyFile = o.key ?? env['BUSBAR_COMMAND_KEY'];
  if (keyFile === undefined) return cmd;
  const keyId = o.keyId ?? env['BUSBAR_COMMAND_KEY_ID'];
  if (keyId === undefined) throw new ConfigError('BB_CONFIG_INVALID', '--key needs --key-id (the id the commander\'s policy.keys gives this key), or BUSBAR_COMMAND_KEY_ID');
  return signCommand(cmd, readCommandKey(keyId, signingAlgorithmOf(keyFile), keyFile));
}

/**
 * Sends one command and, with `wait`, prints its result.
 *
 * @returns the exit code ({@link EXIT}): 0 EXECUTED/ACCEPTED or sent without --wait; 1 REJECTED, FAILED or EXPIRED; 3 no result in time.
 * @throws {ConfigError} as {@link buildCommand} and `connect`; kafkajs errors when the cluster cannot be reached.
 */
export async function sendCommand(o: SendOptions, io: CliIo): Promise<number> {
  const conn = connect(o, io.env, 'busbar-cli');
  const cmd = buildCommand(o, io.env, Date.now());
  if (cmd.signature === undefined) io.err(`busbar: warning: command ${cmd.command_id} is NOT signed (no --key): a commander that requires signatures rejects it with BB_COMMAND_UNSIGNED`);
  const producer = conn.kafka.producer();
  let consumer: Consumer | undefined;
  try {
    let result: Promise<CommandResult | undefined> = Promise.resolve(undefined);
    if (o.wait) {
      consumer = conn.kafka.consumer({ groupId: `busbar-cli-${randomUUID()}` });
      ({ answer: result } = await awaitRecord(conn.kafka, consumer, conn.topics.commandResults, conn.framing.decoder(commandResultSerde), (r) => r.command_id === cmd.command_id && FINAL.has(r.status), o.timeoutS * 1000));
    }
    const encoder = conn.framing.encoder(commandSerde, conn.topics.commands);
    await encoder.ready();
    await producer.connect();
    await producer.send({ topic: conn.topics.commands, messages: [{ key: cmd.target.device_id, value: encoder.encode(cmd) }] });
    io.err(`busbar: sent command ${cmd.command_id} (${cmd.action} on ${cmd.target.device_id}${cmd.signature === undefined ? ', unsigned' : `, signed with key ${cmd.key_id ?? ''}`}) to ${conn.topics.commands}`);
    if (!o.wait) {
      io.out(jsonLine({ command_id: cmd.command_id, sent: true }));
      return EXIT.ok;
    }
    const r = await result;
    if (r === undefined) {
      io.err(`busbar: no result for command ${cmd.command_id} on ${conn.topics.commandResults} within ${o.timeoutS} s (is a commander running for this device?)`);
      return EXIT.timeout;
    }
    io.out(jsonLine(r));
    return r.status === 'EXECUTED' || r.status === 'ACCEPTED' ? EXIT.ok : EXIT.failed;
  } finally {
    await Promise.allSettled([producer.disconnect(), consumer?.disconnect(), conn.framing.close()]);
  }
}
