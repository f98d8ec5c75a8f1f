/**
 * Who may run what: the commander's command policy (its `policy:` section, docs/commands.md
 * "Policy"). Pure: keys are already loaded (keys.ts); device and action patterns are globs
 * (picomatch: `*`, `?`, `[...]`, `{a,b}`).
 *
 * Order of the checks, each refusal with its own code, nothing of a refused command reaches a device:
 * 1. no `signature`/`key_id` → `BB_COMMAND_UNSIGNED` (allowed through only with `requireSignature: false`);
 * 2. `key_id` not among the keys → `BB_COMMAND_UNKNOWN_KEY`;
 * 3. the signature does not verify over the canonical bytes → `BB_COMMAND_BAD_SIGNATURE`;
 * 4. the key is bound to an issuer and `issuer` differs, or no rule lets the key run `action` on
 *    `target.device_id` → `BB_COMMAND_NOT_AUTHORISED`.
 * Expiry is signed (a replay cannot extend it) and checked by the admission that follows
 * (`BB_COMMAND_EXPIRED`).
 */
import picomatch from 'picomatch';
import type { Command } from '@busbar/avro';
import { CommandRefusedError } from '@busbar/safety';
import type { CommandKey } from './signing.js';
import { verifyCommandSignature } from './signing.js';

/** A key the policy knows, optionally bound to one issuer name. */
export interface PolicyKey extends CommandKey {
  /** When set, a command signed with this key must carry exactly this `issuer`. */
  readonly issuer?: string | undefined;
}

/** One grant: these keys may run these actions on these devices. */
export interface PolicyRule {
  /** Key ids (exact; `*` for every key the policy knows). */
  readonly keys: readonly string[];
  /** Action globs, e.g. `modbus.*`, `arbin.{start,stop}`. */
  readonly actions: readonly string[];
  /** Device id globs, e.g. `psu-*`, `*`. */
  readonly devices: readonly string[];
}

/** The policy as configured. */
export interface CommandPolicyOptions {
  /** Refuse unsigned commands (default true). `false`: a lab not ready yet; unsigned commands pass unchecked, signed ones are still verified. */
  readonly requireSignature?: boolean;
  /** The keys signatures are verified with. */
  readonly keys: readonly PolicyKey[];
  /** The grants; a signed command no rule grants is refused. */
  readonly rules: readonly PolicyRule[];
}

/** What the policy found out about an admitted command, for the audit. */
export interface Authorisation {
  /** The verified key id; null for an unsigned command let through by `requireSignature: false`. */
  readonly keyId: string | null;
  /** Whether a signature was verified. */
  readonly signed: boolean;
}

interface CompiledRule {
  readonly keys: ReadonlySet<string> | 'any';
  readonly action: (s: string) => boolean;
  readonly device: (s: string) => boolean;
}

/** Verifies and authorises commands against a policy. */
export class CommandPolicy {
  /** Whether unsigned commands are refused. */
  readonly requireSignature: boolean;
  private readonly keys = new Map<string, PolicyKey>();
  private readonly rules: readonly CompiledRule[];

  /**
   * @param options - see {@link CommandPolicyOptions}.
   * @throws {Error} when two keys share an id or a rule names a key id the policy does not know
   *   (a typo would silently grant nothing).
   */
  constructor(options: CommandPolicyOptions) {
    this.requireSignature = options.requireSignature ?? true;
    for (const k of options.keys) {
      if (this.keys.has(k.id)) throw new Error(`policy: key id ${k.id} is given twice`);
      this.keys.set(k.id, k);
    }
    this.rules = options.rules.map((r, i) => {
      for (const id of r.keys) if (id !== '*' && !this.keys.has(id)) throw new Error(`policy.rules.${i}.keys: unknown key id ${id} (known: ${[...this.keys.keys()].join(', ') || 'none'})`);
      return {
        keys: r.keys.includes('*') ? 'any' : new Set(r.keys),
        action: picomatch([...r.actions], { dot: true }),
        device: picomatch([...r.devices], { dot: true }),
      };
    });
  }

  /**
   * Checks one command (see the module doc for the order and codes).
   *
   * @returns the key id verified (null when unsigned and allowed).
   * @throws {CommandRefusedError} `BB_COMMAND_UNSIGNED`, `BB_COMMAND_UNKNOWN_KEY`,
   *   `BB_COMMAND_BAD_SIGNATURE` or `BB_COMMAND_NOT_AUTHORISED`, the reason naming the key, issuer, action and device.
   */
  authorise(cmd: Command): Authorisation {
    const signature = cmd.signature ?? null;
    const unsigned = signature === null || signature.length === 0;
    if (unsigned && (cmd.key_id ?? '') === '') {
      if (!this.requireSignature) return { keyId: null, signed: false };
      throw new CommandRefusedError('BB_COMMAND_UNSIGNED', `command ${cmd.command_id} from issuer "${cmd.issuer}" is not signed; this commander requires a signature (policy.requireSignature)`, { issuer: cmd.issuer });
    }
    const keyId = cmd.key_id ?? '';
    const key = this.keys.get(keyId);
    if (key === undefined) {
      throw new CommandRefusedError('BB_COMMAND_UNKNOWN_KEY', `command ${cmd.command_id} names key "${keyId}", which is not among the commander's policy keys`, { key_id: keyId, issuer: cmd.issuer });
    }
    verifyCommandSignature(cmd, key);
    if (key.issuer !== undefined && key.issuer !== cmd.issuer) {
      throw new CommandRefusedError('BB_COMMAND_NOT_AUTHORISED', `command ${cmd.command_id}: key ${key.id} belongs to issuer "${key.issuer}", the command names "${cmd.issuer}"`, { key_id: key.id, issuer: cmd.issuer });
    }
    const granted = this.rules.some((r) => (r.keys === 'any' || r.keys.has(key.id)) && r.action(cmd.action) && r.device(cmd.target.device_id));
    if (!granted) {
      throw new CommandRefusedError('BB_COMMAND_NOT_AUTHORISED', `command ${cmd.command_id}: no policy rule lets key ${key.id} (issuer "${cmd.issuer}") run ${cmd.action} on device ${cmd.target.device_id}`, { key_id: key.id, issuer: cmd.issuer, action: cmd.action, device_id: cmd.target.device_id });
    }
    return { keyId: key.id, signed: true };
  }
}
