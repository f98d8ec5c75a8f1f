/**
 * Writing line protocol to InfluxDB 2.x: `POST /api/v2/write?org=&bucket=&precision=ns` (InfluxDB
 * API reference, "Write data", `PostWrite`), `Authorization: Token <token>`, the body optionally
 * gzip-compressed (`Content-Encoding: gzip`).
 *
 * One long-lived HTTP agent with keep-alive for every request (no TCP or TLS handshake per write);
 * gzip runs on libuv's thread pool (`zlib.gzip`), off the main thread that decodes the next batch.
 * Answers: 204 written; 422 partially written (InfluxDB names the refused points); 400 malformed,
 * 413 too large, 401/403/404 refused, 5xx/429 unavailable — every answer but 204 is thrown as an
 * {@link InfluxWriteError} carrying the status, a network failure or timeout as one without it.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { BusbarError } from '@busbar/core';

const gzipAsync = promisify(gzip);

/** Where and how to write. */
export interface InfluxWriterOptions {
  /** Base URL (`http://127.0.0.1:8086`). */
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  readonly token: string;
  /** Longest wait for InfluxDB's answer to one write, ms. */
  readonly timeoutMs: number;
  /** gzip level of request bodies, 0 (off) … 9. */
  readonly gzipLevel: number;
  /** Most connections kept open to InfluxDB (requests beyond wait for a free one). */
  readonly maxSockets: number;
}

/** A write InfluxDB did not acknowledge with 204: `statusCode` is its answer, `undefined` for a network failure or timeout. */
export class InfluxWriteError extends BusbarError {
  /**
   * @param statusCode - InfluxDB's HTTP status, or undefined when it did not answer.
   * @param message - InfluxDB's message (its JSON `message`, cut to 1000 characters) or the network error.
   */
  constructor(
    readonly statusCode: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BB_HISTORIAN_INFLUX_WRITE_FAILED', statusCode === undefined ? `InfluxDB write failed: ${message}` : `InfluxDB answered ${statusCode}: ${message}`, { ...options, retriable: statusCode === undefined || statusCode >= 500 || statusCode === 429, context: { statusCode: statusCode ?? 'network' } });
  }
}

/** Writes bodies of line protocol to one bucket over keep-alive connections. */
export class InfluxWriter {
  private readonly agent: HttpAgent;
  private readonly endpoint: URL;
  private readonly request: typeof httpRequest;

  /** @param options - see {@link InfluxWriterOptions}. */
  constructor(private readonly options: InfluxWriterOptions) {
    this.endpoint = new URL('/api/v2/write', options.url);
    this.endpoint.search = new URLSearchParams({ org: options.org, bucket: options.bucket, precision: 'ns' }).toString();
    const https = this.endpoint.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, scheduling: 'lifo' as const };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /**
   * Writes one request: UTF-8 lines of line protocol separated (or each ended) by newlines, or the
   * lines as strings (joined here).
   *
   * @returns once InfluxDB answered 204.
   * @throws {InfluxWriteError} for any other answer, a network failure or the timeout.
   */
  async write(lines: Buffer | readonly string[]): Promise<void> {
    const text = Buffer.isBuffer(lines) ? lines : Buffer.from(lines.join('\n'), 'utf8');
    const body = this.options.gzipLevel > 0 ? await gzipAsync(text, { level: this.options.gzipLevel }) : text;
    const headers: Record<string, string | number> = { Authorization: `Token ${this.options.token}`, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, Accept: 'application/json' };
    if (this.options.gzipLevel > 0) headers['Content-Encoding'] = 'gzip';
    await new Promise<void>((resolve, reject) => {
      const req = this.request(this.endpoint, { method: 'POST', agent: this.agent, headers, timeout: this.options.timeoutMs }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status === 204) {
          res.resume();
          res.once('end', resolve);
          res.once('error', (err) => reject(new InfluxWriteError(undefined, err.message, { cause: err })));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', (err) => reject(new InfluxWriteError(undefined, err.message, { cause: err })));
        res.once('end', () => reject(new InfluxWriteError(status, messageOf(Buffer.concat(chunks).toString('utf8')))));
      });
      req.once('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.once('error', (err) => reject(new InfluxWriteError(undefined, err.message, { cause: err })));
      req.end(body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** InfluxDB's error message from its JSON answer (`{"code":…,"message":…}`), else the text, cut to 1000 characters. */
function messageOf(text: string): string {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}
