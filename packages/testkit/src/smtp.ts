/**
 * A real SMTP server (nodemailer's `smtp-server`) in this process, on 127.0.0.1 with an ephemeral
 * port; plain by default, or with TLS (`tls`: STARTTLS offered, or implicit TLS), authentication
 * optional or checked against one user (`auth`). Every message it accepts is parsed with `mailparser`
 * and kept in memory (and, with `saveDir`, written there as `<n>.eml`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { TestkitError } from './errors.js';
import { LOOPBACK } from './ports.js';
import { noteStart } from './starts.js';

/** Options of {@link startSmtp}. All optional. */
export interface SmtpOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Also write each raw message to `<saveDir>/<n>.eml` (n from 1). */
  readonly saveDir?: string;
  /** Largest accepted message, bytes. @default 10485760 (10 MiB) */
  readonly maxSizeBytes?: number;
  /**
   * TLS with this key and certificate (PEM): `starttls` offers STARTTLS on a plain port (and
   * refuses AUTH before it), `implicit` speaks TLS from the first byte (SMTPS). @default no TLS, STARTTLS disabled
   */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer; readonly mode: 'starttls' | 'implicit' };
  /** Accept only these credentials (AUTH PLAIN/LOGIN); others get 535. @default any credentials accepted */
  readonly auth?: { readonly user: string; readonly password: string };
}

/** A message as received: the SMTP envelope and the parsed mail. */
export interface ReceivedMail {
  /** `MAIL FROM` address. */
  readonly mailFrom: string;
  /** `RCPT TO` addresses. */
  readonly rcptTo: readonly string[];
  /** The message parsed by mailparser (subject, from, to, text, html, attachments...). */
  readonly mail: ParsedMail;
  /** Whether the session was encrypted (implicit TLS or after STARTTLS). */
  readonly secure: boolean;
  /** The authenticated user, if any. */
  readonly user?: string | undefined;
}

/** A running SMTP server. `stop()` / `await using` closes it. */
export interface SmtpHandle extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Parsed messages in arrival order (live array: grows as mail arrives). */
  readonly messages: ParsedMail[];
  /** The same messages with their SMTP envelopes. */
  readonly received: ReceivedMail[];
  /**
   * Resolves with the first message (already received or arriving later) for which `predicate` is true.
   * @param predicate - test on a parsed message.
   * @param timeoutMs - how long to wait, ms. @default 10000
   * @throws {TestkitError} `BB_TESTKIT_START_TIMEOUT` when no such message arrived in time (the message lists the subjects seen).
   */
  waitFor(predicate: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Forgets the messages received so far. */
  clear(): void;
  /** Closes the server (waits for open connections to end). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts an SMTP server on 127.0.0.1 (by default plain SMTP, STARTTLS disabled, AUTH optional: any
 * credentials are accepted; see {@link SmtpOptions} `tls` and `auth`). Send with nodemailer
 * `{ host, port }` (plain), `{ requireTLS: true, tls: { ca } }` (STARTTLS) or `{ secure: true, tls: { ca } }` (implicit).
 * @throws {Error} the listen error (e.g. EADDRINUSE when a fixed `port` is taken).
 */
export async function startSmtp(opts: SmtpOptions = {}): Promise<SmtpHandle> {
  noteStart('smtp');
  const messages: ParsedMail[] = [];
  const received: ReceivedMail[] = [];
  const waiters = new Set<(mail: ParsedMail) => void>();
  let count = 0;
  if (opts.saveDir !== undefined) mkdirSync(opts.saveDir, { recursive: true });

  const tls = opts.tls;
  const server = new SMTPServer({
    secure: tls?.mode === 'implicit',
    ...(tls === undefined ? { disabledCommands: ['STARTTLS'] } : { key: tls.key, cert: tls.cert }),
    allowInsecureAuth: tls === undefined,
    authOptional: true,
    onAuth: (auth, _session, cb) => {
      if (opts.auth !== undefined && (auth.username !== opts.auth.user || auth.password !== opts.auth.password)) {
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        return;
      }
      cb(null, { user: auth.username ?? 'test' });
    },
    logger: false,
    size: opts.maxSizeBytes ?? 10 * 1024 * 1024,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', cb);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        if (opts.saveDir !== undefined) writeFileSync(join(opts.saveDir, `${++count}.eml`), raw);
        simpleParser(raw).then(
          (mail) => {
            const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
            const user = typeof session.user === 'string' ? session.user : undefined;
            received.push({ mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), mail, secure: session.secure, user });
            messages.push(mail);
            for (const w of waiters) w(mail);
            cb();
          },
          (err: Error) => cb(err),
        );
      });
    },
  });
  server.on('error', () => undefined); // per-connection errors; the client sees them

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, LOOPBACK, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  let stopped: Promise<void> | undefined;

  const handle: SmtpHandle = {
    host: LOOPBACK,
    port,
    messages,
    received,
    waitFor(predicate, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<ParsedMail>((resolve, reject) => {
        const waiter = (mail: ParsedMail): void => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.map((m) => JSON.stringify(m.subject ?? '')).join(', ') || 'none';
          reject(new TestkitError('BB_TESTKIT_START_TIMEOUT', `SMTP: no matching message within ${timeoutMs} ms (subjects seen: ${seen})`, {
            context: { server: 'smtp', timeoutMs },
          }));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
      received.length = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return stopped;
    },
    [Symbol.asyncDispose]: () => handle.stop(),
  };
  return handle;
}
