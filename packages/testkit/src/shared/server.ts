/**
 * The shared servers of one test run: Kafka, InfluxDB and SMTP, each started at most once, on the
 * first request for it (a run that needs no Kafka starts none), behind a small JSON control
 * endpoint on 127.0.0.1 that test workers reach with the address handed out by `provide`. Lives in
 * Vitest's main process (see `global-setup.ts`); routes are listed in `protocol.ts`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startInflux } from '../influx.js';
import type { InfluxHandle } from '../influx.js';
import { startKafka } from '../kafka.js';
import type { KafkaHandle } from '../kafka.js';
import { LOOPBACK } from '../ports.js';
import { startSmtp } from '../smtp.js';
import type { SmtpHandle } from '../smtp.js';
import { FileLock } from './file-lock.js';
import type { LockMode } from './file-lock.js';
import type { SharedInflux, SharedKafka, SharedServersInfo, SharedSmtp, SharedStarts, WireMail } from './protocol.js';

/** A running control endpoint and whatever shared servers it started. */
export interface SharedServers {
  /** What the tests need to reach the control endpoint (hand it to `provide`). */
  readonly info: SharedServersInfo;
  /** How many times each server kind was started so far (0 or 1 each). */
  starts(): SharedStarts;
  /** Stops the servers that were started (deleting their data) and the control endpoint. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `start()` once; a failed start is forgotten so the next request tries again. */
function lazily<T>(start: () => Promise<T>): { get: () => Promise<T>; current: () => Promise<T> | undefined; count: () => number } {
  let pending: Promise<T> | undefined;
  let count = 0;
  return {
    get: () => {
      if (pending === undefined) {
        count++;
        pending = start();
        pending.catch(() => {
          pending = undefined;
        });
      }
      return pending;
    },
    current: () => pending,
    count: () => count,
  };
}

/** How long one `POST /lock` waits before answering `{ granted: false }` (the client asks again), ms. */
const LOCK_POLL_MS = 20_000;

/** The answer of `POST /lock` and `POST /unlock`. */
interface LockAnswer {
  readonly granted: boolean;
}

/** `ticket` and `mode` (default `shared`) of a lock request. @throws {Error} without a ticket or with another mode. */
function lockParams(url: URL): { ticket: string; mode: LockMode } {
  const ticket = url.searchParams.get('ticket');
  const mode = url.searchParams.get('mode') ?? 'shared';
  if (ticket === null || ticket === '') throw new Error('file lock: no ticket');
  if (mode !== 'shared' && mode !== 'exclusive') throw new Error(`file lock: mode ${mode} is not shared or exclusive`);
  return { ticket, mode };
}

/**
 * Gives back the lock of tickets `worker-<pid>-…` whose process is gone (a test worker that crashed
 * before its afterAll): run on every `POST /lock`, which each waiting file repeats every 20 s.
 */
function releaseDeadHolders(lock: FileLock): void {
  const { holders, waiting } = lock.snapshot();
  for (const ticket of [...holders.keys(), ...waiting]) {
    const pid = Number(/^worker-(\d+)-/.exec(ticket)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') lock.release(ticket);
    }
  }
}

function toWire(r: SmtpHandle['received'][number]): WireMail {
  const { mail } = r;
  return {
    mailFrom: r.mailFrom,
    rcptTo: r.rcptTo,
    subject: mail.subject,
    from: mail.from?.text,
    to: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text,
    date: mail.date?.toISOString(),
    text: mail.text,
    html: typeof mail.html === 'string' ? mail.html : undefined,
    attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, contentBase64: a.content.toString('base64') })),
  };
}

/**
 * Starts the control endpoint on 127.0.0.1 with an ephemeral port. No server is started yet:
 * each is started by the first `POST /<kind>`.
 * @throws {Error} the listen error.
 */
export async function startSharedServers(): Promise<SharedServers> {
  const kafka = lazily<KafkaHandle>(() => startKafka());
  const influx = lazily<InfluxHandle>(() => startInflux());
  const smtp = lazily<SmtpHandle>(() => startSmtp());
  const fileLock = new FileLock();
  /** Open long polls of `POST /lock`: answered (not granted) when the endpoint stops. */
  const lockPolls = new Set<() => void>();

  const routes: Record<string, (url: URL) => Promise<unknown>> = {
    'POST /kafka': async (): Promise<SharedKafka> => ({ brokers: (await kafka.get()).brokers }),
    'POST /influx': async (): Promise<SharedInflux> => {
      const h = await influx.get();
      return { url: h.url, org: h.org, orgId: h.orgId, token: h.token };
    },
    'POST /smtp': async (): Promise<SharedSmtp> => {
      const h = await smtp.get();
      return { host: h.host, port: h.port };
    },
    'GET /smtp/messages': async (url): Promise<WireMail[]> => {
      const to = url.searchParams.get('to')?.toLowerCase();
      const h = await smtp.get();
      return h.received.filter((r) => to === undefined || r.rcptTo.some((a) => a.toLowerCase() === to)).map(toWire);
    },
    'GET /starts': (): Promise<SharedStarts> => Promise.resolve({ kafka: kafka.count(), influx: influx.count(), smtp: smtp.count() }),
    // long poll: answers once the ticket holds the file lock, or after LOCK_POLL_MS with granted false (ask again)
    'POST /lock': (url): Promise<LockAnswer> => {
      const { ticket, mode } = lockParams(url);
      releaseDeadHolders(fileLock);
      if (fileLock.request(ticket, mode)) return Promise.resolve({ granted: true });
      return new Promise((resolve) => {
        const answer = (): void => {
          clearTimeout(timer);
          off();
          lockPolls.delete(answer);
          resolve({ granted: fileLock.snapshot().holders.has(ticket) });
        };
        const timer = setTimeout(answer, LOCK_POLL_MS);
        const off = fileLock.onChange(() => {
          if (fileLock.snapshot().holders.has(ticket)) answer();
        });
        lockPolls.add(answer);
      });
    },
    'POST /unlock': (url): Promise<LockAnswer> => {
      fileLock.release(lockParams(url).ticket);
      return Promise.resolve({ granted: false });
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const route = routes[`${req.method ?? 'GET'} ${url.pathname}`];
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (route === undefined) return reply(404, { error: `no route ${req.method ?? ''} ${url.pathname}` });
    Promise.resolve(url).then(route).then(
      (body) => reply(200, body),
      (err: unknown) => reply(500, { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
    );
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  let stopped: Promise<void> | undefined;

  return {
    info: { controlUrl: `http://${LOOPBACK}:${port}` },
    starts: () => ({ kafka: kafka.count(), influx: influx.count(), smtp: smtp.count() }),
    stop: () => {
      stopped ??= (async () => {
        for (const answer of [...lockPolls]) answer();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.allSettled([
          kafka.current()?.then((h) => h.dispose()),
          influx.current()?.then((h) => h.dispose()),
          smtp.current()?.then((h) => h.stop()),
        ]);
      })();
      return stopped;
    },
  };
}
