/**
 * The operations endpoint of every service: `GET /metrics` (Prometheus text format from the
 * service's registry) and `GET /healthz` (200 with JSON when healthy or degraded, 503 when not).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

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

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /** Registry served on `/metrics`. */
  readonly registry: Registry;
  /** Health probe, called per `/healthz` request. */
  readonly health: () => Health;
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
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
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
