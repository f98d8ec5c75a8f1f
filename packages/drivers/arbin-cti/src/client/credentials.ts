/**
 * CTI credentials from the environment or secret files.
 *
 * Variables (pycti-compatible names, Arbin CTI reference README §8, §10): `ARBIN_CTI_USERNAME`,
 * `ARBIN_CTI_PASSWORD`; or `ARBIN_CTI_USERNAME_FILE` / `ARBIN_CTI_PASSWORD_FILE` naming files that hold
 * them (Docker/Kubernetes secrets; one trailing newline is dropped). A direct variable wins over its
 * `_FILE` variant. Values are ≤ 31 single-byte characters (a 32-byte NUL-padded field, README §4.1).
 */
import { readFileSync } from 'node:fs';
import { ArbinCtiError } from '../errors.js';

/** User name and password for the CTI login. `toJSON`/`toString` never reveal the password. */
export class ArbinCredentials {
  readonly #password: string;
  /** CTI user name. */
  readonly username: string;

  /**
   * @throws {ArbinCtiError} `BB_ARBIN_CREDENTIALS_MISSING` when either is empty;
   *   `BB_ARBIN_INVALID_ARGUMENT` when either exceeds 31 characters or is not latin1 (value not echoed).
   */
  constructor(username: string, password: string) {
    for (const [field, v] of [['username', username], ['password', password]] as const) {
      if (v.length === 0) throw new ArbinCtiError('BB_ARBIN_CREDENTIALS_MISSING', `Arbin CTI ${field} is empty`, { context: { field } });
      // eslint-disable-next-line no-control-regex
      if (v.length > 31 || /[^\x00-\xff]/.test(v)) {
        throw new ArbinCtiError('BB_ARBIN_INVALID_ARGUMENT', `Arbin CTI ${field} must be 1..31 single-byte (latin1) characters`, { context: { field, length: v.length } });
      }
    }
    this.username = username;
    this.#password = password;
  }

  /** The password, for the login frame only. */
  get password(): string {
    return this.#password;
  }

  /** Redacted view for logs. */
  toJSON(): { username: string; password: string } {
    return { username: this.username, password: '[redacted]' };
  }

  /** Redacted view for logs. */
  toString(): string {
    return `ArbinCredentials(${this.username}, [redacted])`;
  }
}

/** Reads a file as UTF-8 text; injectable for tests. */
export type ReadTextFile = (path: string) => string;

const defaultReadFile: ReadTextFile = (path) => readFileSync(path, 'utf8');

function pick(env: Readonly<Record<string, string | undefined>>, name: string, readFile: ReadTextFile): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  let text: string;
  try {
    text = readFile(file);
  } catch (cause) {
    throw new ArbinCtiError('BB_ARBIN_CREDENTIALS_MISSING', `cannot read ${name}_FILE (${file})`, { cause, context: { variable: `${name}_FILE`, path: file } });
  }
  return text.replace(/\r?\n$/, '');
}

/**
 * Loads the CTI credentials from `env` (usually `process.env`).
 *
 * @param env - environment variables.
 * @param readFile - reads a `_FILE` secret; defaults to `fs.readFileSync(path, 'utf8')`.
 * @throws {ArbinCtiError} `BB_ARBIN_CREDENTIALS_MISSING` naming the missing variable (never its value);
 *   `BB_ARBIN_INVALID_ARGUMENT` when a value is too long.
 */
export function loadArbinCredentials(env: Readonly<Record<string, string | undefined>>, readFile: ReadTextFile = defaultReadFile): ArbinCredentials {
  const username = pick(env, 'ARBIN_CTI_USERNAME', readFile);
  const password = pick(env, 'ARBIN_CTI_PASSWORD', readFile);
  for (const [name, v] of [['ARBIN_CTI_USERNAME', username], ['ARBIN_CTI_PASSWORD', password]] as const) {
    if (v === undefined || v === '') {
      throw new ArbinCtiError('BB_ARBIN_CREDENTIALS_MISSING', `set ${name} (or ${name}_FILE) to the CTI user registered in MITS Pro`, { context: { variable: name } });
    }
  }
  return new ArbinCredentials(username as string, password as string);
}
