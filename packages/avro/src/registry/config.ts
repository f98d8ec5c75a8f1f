/**
 * The `kafka.avro` deployment settings in plain TypeScript (the zod schema that validates them
 * lives with the rest of the `kafka:` section in `@busbar/kafka`), and the one place that reads the
 * secrets they point to. Secrets are files, never values in the configuration: a password file, PEM
 * files for the CA, the client certificate and its key.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '@busbar/core';
import type { Framing } from '../codec/confluent.js';
import { RegistryError } from '../errors.js';
import { AvroFraming } from '../framing.js';
import type { CompatibilityLevel, SchemaRegistryClientOptions } from './client.js';
import { SchemaRegistryClient } from './client.js';

/** `kafka.avro.registry`: where the schema registry is and how to authenticate. */
export interface RegistryConfig {
  /** Base URL of the Confluent-compatible API (Apicurio: `http://host:8080/apis/ccompat/v7`). */
  readonly url: string;
  /** HTTP basic auth; the password is read from `passwordFile` (trailing newline dropped). */
  readonly basicAuth?: { readonly username: string; readonly passwordFile: string };
  /** TLS: PEM files of trusted CAs, and of the client certificate and key for mutual TLS. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Register the current schemas at start (default), or only look them up (false). */
  readonly register?: boolean;
  /** Compatibility level set on each subject when registering. @default 'BACKWARD' */
  readonly compatibility?: CompatibilityLevel;
  /** Per-request timeout, ms. @default 5000 */
  readonly timeoutMs?: number;
}

/** `kafka.avro`: the framing producers write, and the registry. */
export interface AvroConfig {
  /** @default 'single-object' */
  readonly framing?: Framing;
  /** Required for `confluent`; with `single-object` it lets consumers read Confluent-framed records too. */
  readonly registry?: RegistryConfig;
}

function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RegistryError('BB_AVRO_REGISTRY_CONFIG_INVALID', `kafka.avro.registry.${what}: cannot read ${path}: ${(cause as Error).message}`, { cause, context: { field: `kafka.avro.registry.${what}`, path } });
  }
}

/**
 * Client options from a {@link RegistryConfig}, with the secret files read.
 * @throws {RegistryError} `BB_AVRO_REGISTRY_CONFIG_INVALID` naming the field whose file cannot be read.
 */
export function loadRegistryOptions(config: RegistryConfig): SchemaRegistryClientOptions {
  const { basicAuth, tls } = config;
  return {
    url: config.url,
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    ...(basicAuth ? { basicAuth: { username: basicAuth.username, password: readSecret(basicAuth.passwordFile, 'basicAuth.passwordFile').replace(/\r?\n$/, '') } } : {}),
    ...(tls
      ? {
          tls: {
            ...(tls.caFile ? { ca: readSecret(tls.caFile, 'tls.caFile') } : {}),
            ...(tls.certFile ? { cert: readSecret(tls.certFile, 'tls.certFile') } : {}),
            ...(tls.keyFile ? { key: readSecret(tls.keyFile, 'tls.keyFile') } : {}),
          },
        }
      : {}),
  };
}

/**
 * The {@link AvroFraming} of a deployment. Without `config` (or `kafka.avro` absent): single-object,
 * no registry — Busbar's behaviour before the Confluent framing existed.
 * @throws {RegistryError} `BB_AVRO_REGISTRY_CONFIG_INVALID` (unreadable secret file; confluent without registry).
 */
export function createFraming(config: AvroConfig | undefined, logger?: Logger): AvroFraming {
  const registry = config?.registry === undefined ? undefined : new SchemaRegistryClient(loadRegistryOptions(config.registry));
  return new AvroFraming({
    framing: config?.framing ?? 'single-object',
    ...(registry ? { registry } : {}),
    ...(config?.registry?.register === undefined ? {} : { register: config.registry.register }),
    ...(config?.registry?.compatibility === undefined ? {} : { compatibility: config.registry.compatibility }),
    ...(logger ? { logger } : {}),
  });
}
