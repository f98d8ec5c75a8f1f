/**
 * The commander's `policy:` section (docs/commands.md "Policy"): which keys may run which actions
 * on which devices, and whether unsigned commands are refused (`requireSignature`, default true).
 * Keys are read from files named here (relative to the configuration file), never written in it.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { CommandPolicy, readCommandKey } from '@busbar/commands';
import type { CommandAuditEvent } from '@busbar/commands';
import type { Logger } from '@busbar/core';
import { BusbarError } from '@busbar/core';
import { ConfigError } from '@busbar/runtime';

/** One key: its id (`Command.key_id`), algorithm, file, and optionally the one issuer it may sign for. */
const policyKeySchema = z.object({
  id: z.string().min(1).max(128),
  algorithm: z.enum(['ed25519', 'hmac-sha256']),
  /** Ed25519: the issuer's public key (PEM, SPKI); HMAC-SHA256: the shared secret file (≥ 32 bytes). */
  file: z.string().min(1),
  issuer: z.string().min(1).max(256).optional(),
}).strict();

/** One grant: these key ids (or `*`) may run these actions on these devices (globs). */
const policyRuleSchema = z.object({
  keys: z.array(z.string().min(1)).min(1),
  actions: z.array(z.string().min(1)).min(1),
  devices: z.array(z.string().min(1)).min(1),
}).strict();

/** The `policy:` section; absent = `{ requireSignature: true }` with no keys (every command refused until keys and rules are given). */
export const policyConfigSchema = z.object({
  requireSignature: z.boolean().default(true),
  keys: z.array(policyKeySchema).default([]),
  rules: z.array(policyRuleSchema).default([]),
}).strict().default({ requireSignature: true, keys: [], rules: [] });

/** The parsed `policy:` section. */
export type PolicyConfig = z.output<typeof policyConfigSchema>;

/**
 * Reads the policy's key files (relative to `baseDir`) and builds the {@link CommandPolicy}; logs a
 * warning when unsigned commands are let through, or when no key is configured.
 *
 * @param config - the `policy:` section.
 * @param baseDir - directory of the configuration file.
 * @throws {ConfigError} `BB_CONFIG_INVALID` naming `policy.keys.<i>` or `policy.rules.<i>` (unreadable or
 *   wrong key file, unknown key id in a rule, a key id twice).
 */
export function buildCommandPolicy(config: PolicyConfig, baseDir: string, logger: Logger): CommandPolicy {
  const keys = config.keys.map((k, i) => {
    try {
      const file = isAbsolute(k.file) ? k.file : resolve(baseDir, k.file);
      const key = readCommandKey(k.id, k.algorithm, file);
      // the commander verifies: it holds public keys only (a private key here is signing material on the wrong host)
      if (key.algorithm === 'ed25519' && key.key.type === 'private') throw new BusbarError('BB_COMMAND_KEY_UNUSABLE', `policy.keys[id=${k.id}]: ${file} holds an Ed25519 PRIVATE key; give the commander the public key (openssl pkey -in key.pem -pubout)`, { context: { keyId: k.id, file } });
      return { ...key, issuer: k.issuer };
    } catch (err) {
      throw new ConfigError('BB_CONFIG_INVALID', `policy.keys.${i} (${k.id}): ${(err as Error).message}`);
    }
  });
  let policy: CommandPolicy;
  try {
    policy = new CommandPolicy({ requireSignature: config.requireSignature, keys, rules: config.rules });
  } catch (err) {
    throw new ConfigError('BB_CONFIG_INVALID', (err as Error).message);
  }
  if (!config.requireSignature) {
    logger.warn({ requireSignature: false }, 'policy.requireSignature is false: UNSIGNED commands are executed without any check of who sent them; sign commands and remove this setting (docs/commands.md, migration)');
  } else if (keys.length === 0) {
    logger.warn({ requireSignature: true, keys: 0 }, 'the command policy has no keys: every command will be REJECTED (BB_COMMAND_UNSIGNED or BB_COMMAND_UNKNOWN_KEY) until policy.keys and policy.rules are configured');
  }
  logger.info({ requireSignature: config.requireSignature, keyIds: keys.map((k) => k.id), rules: config.rules.length }, 'command policy loaded');
  return policy;
}

/**
 * The audit log: one JSON line per step of every command (admitted, refused, executing, routed,
 * duplicate, result), each with the command id, issuer, key id, device, action and outcome;
 * refusals and failures at `warn`.
 *
 * @param logger - the service logger.
 * @returns the executor's `audit` callback.
 */
export function auditLogger(logger: Logger): (e: CommandAuditEvent) => void {
  return (e) => {
    const fields = { audit: e.event, commandId: e.commandId, issuer: e.issuer, keyId: e.keyId, deviceId: e.deviceId, action: e.action, outcome: e.outcome, code: e.code, reason: e.reason };
    const warn = e.event === 'refused' || e.event === 'duplicate' || (e.event === 'result' && e.outcome !== 'EXECUTED' && e.outcome !== 'ACCEPTED');
    if (warn) logger.warn(fields, `command ${e.event}`);
    else logger.info(fields, `command ${e.event}`);
  };
}
