/**
 * The operations endpoint of every service:
 * - `GET /metrics`: Prometheus text format from the service's registry;
 * - `GET /livez`: liveness — 200 `{"status":"alive"}` whenever the process answers at all (its event
 *   loop runs). A failing liveness probe means restart the process; nothing else is checked here,
 *   so a Kafka or InfluxDB outage never gets a working process restarted;
 * - `GET /readyz`: readiness — 200 `{"status":"ready","checks":{…}}` when every dependency check
 *   passes, 503 `{"status":"not_ready","reasons":["<check>: <reason>", …],"checks":{…}}` when one
 *   does not; each check is `{ok, reason?, code?}` (Kafka consumer and producer, InfluxDB, SMTP,
 *   device sessions — whatever the service declares). A service that declares no checks is ready
 *   when its `/healthz` is ok;
 * - `GET /healthz`: kept as before, for compatibility — 200 with JSON when healthy or degraded, 503
 *   when not.
 */
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

// Not `import … from 'node:http'`: an ES import of a built-in reads every export of it, including
// the lazy `WebSocket`/`CloseEvent`/`MessageEvent` getters of Node 24's `http`, which load Node's
// bundled undici (about 3 MiB of heap in every service, used by none); `require` leaves them lazy.
// Measured by `npm run bench:footprint` (README "Performance").
const { createServer } = createRequire(import.meta.url)('node:http') as typeof Http;

/** What `/healthz` reports. */
export interface Health {
  /** `true` → HTTP 200, `false` → HTTP 503. */
  readonly ok: boolean;
  /**
   * Why a working service is degraded (still HTTP 200, `status: "degraded"`): e.g. a collector whose
   * records wait in its store-and-forward buffer because Kafka does not acknowledge.
   */
  readonly degraded?: readonly string[];
  /** Details shown in the JSON body (connections, lag, last error...). */
  readonly details?: Record<string, unknown>;
}

/** One dependency check of `/readyz`. */
export interface ReadinessCheck {
  /** Whether the dependency is usable. */
  readonly ok: boolean;
  /** Why not (one line: `InfluxDB answers 401 to the historian's token`); also allowed when ok (a note). */
  readonly reason?: string;
  /** The `BB_*` error code of the failure, when there is one. */
  readonly code?: string;
}

/** What `/readyz` reports: named checks; ready when all pass. */
export type Readiness = Readonly<Record<string, ReadinessCheck>>;

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /** Registry served on `/metrics`. */
  readonly registry: Registry;
  /** Health probe, called per `/healthz` request. */
  readonly health: () => Health;
  /** Readiness checks, called per `/readyz` request (default: one check `health`, from `health().ok`). */
  readonly ready?: () => Readiness;
  /** Listen address (default `127.0.0.1`). */
  readonly host?: string;
  /** Listen port (default 0 = ephemeral; read it back from the result). */
  readonly port?: number;
}

/** A running ops server. */
export interface OpsServer {
  /** Bound host. */
  readonly host: string;
  /** Bound port. */
  readonly port: number;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the `/metrics` + `/healthz` HTTP server.
 *
 * @throws the listen error (e.g. `EADDRINUSE`) when the port cannot be bound.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      options.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      let health: Health;
      try {
        health = options.health();
      } catch (err) {
        health = { ok: false, details: { error: String(err) } };
      }
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
      const degraded = health.ok && (health.degraded?.length ?? 0) > 0;
      res.end(JSON.stringify({ status: health.ok ? (degraded ? 'degraded' : 'ok') : 'unhealthy', ...(degraded ? { degraded: health.degraded } : {}), ...(health.details ?? {}) }));
      return;
    }
    if (req.method === 'GET' && path === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'alive', uptime_s: Math.round(process.uptime()) }));
      return;
    }
    if (req.method === 'GET' && path === '/readyz') {
      let checks: Readiness;
      try {
        checks = options.ready ? options.ready() : { health: { ok: options.health().ok } };
      } catch (err) {
        checks = { probe: { ok: false, reason: `readiness probe failed: ${String(err)}` } };
      }
      const reasons = Object.entries(checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.reason ?? 'not ready'}`);
      res.writeHead(reasons.length === 0 ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reasons.length === 0 ? { status: 'ready', checks } : { status: 'not_ready', reasons, checks }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics, /livez, /readyz or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
