/**
 * Secrets of the notification channels read from files: a webhook's URL (`urlFile`) and header
 * values (`headers: { Authorization: { file: … } }`), the SMTP password (`passwordFile`) and the
 * CA of a private SMTP server (`caFile`). A path is resolved against the folder of the
 * configuration file (the working directory when there is none); one trailing newline is dropped
 * (`echo secret > file`). Error messages name the configuration field and the path, never the
 * content of the file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BusbarError } from '@busbar/core';

/** A header value: inline text, or `{ file }` holding it. */
export type SecretValue = string | { readonly file: string };

/**
 * Reads one secret file.
 *
 * @param path - the path as configured (relative to `baseDir` unless absolute).
 * @param field - the configuration field, for the error (`webhooks.0.urlFile`).
 * @param baseDir - folder of the configuration file.
 * @returns the content without one trailing `\n` / `\r\n`.
 * @throws {BusbarError} `BB_ALERTER_SECRET_UNREADABLE` when the file cannot be read or is empty.
 */
export function readSecretFile(path: string, field: string, baseDir: string): string {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BusbarError('BB_ALERTER_SECRET_UNREADABLE', `${field}: cannot read secret file ${full} (${code})`, { cause, context: { field, path: full } });
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw new BusbarError('BB_ALERTER_SECRET_UNREADABLE', `${field}: secret file ${full} is empty`, { context: { field, path: full } });
  return value;
}

/**
 * Resolves a {@link SecretValue}.
 *
 * @throws {BusbarError} `BB_ALERTER_SECRET_UNREADABLE` (see {@link readSecretFile}).
 */
export function resolveSecret(value: SecretValue, field: string, baseDir: string): string {
  return typeof value === 'string' ? value : readSecretFile(value.file, `${field}.file`, baseDir);
}
