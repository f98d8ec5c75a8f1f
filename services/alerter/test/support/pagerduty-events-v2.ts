/**
 * A local stand-in for PagerDuty's Events API v2 endpoint that checks every event field by field
 * against the documented schema (PagerDuty developer documentation, "Events API v2 Overview" and
 * "Send an Alert Event"; written from the documentation for these tests, not from PagerDuty code):
 *
 *   routing_key   string, required, the 32-character integration key
 *   event_action  required: trigger | acknowledge | resolve
 *   dedup_key     string ≤ 255 characters; required for acknowledge and resolve
 *   payload       required for trigger (and only documented there):
 *     summary        string, required, ≤ 1024 characters
 *     source         string, required, non-empty
 *     severity       required: critical | error | warning | info
 *     timestamp      optional, ISO 8601
 *     component, group, class   optional strings
 *     custom_details optional object
 *   images, links, client, client_url   optional (client/client_url strings)
 *   Unknown fields are reported too (a typo must not pass silently).
 *
 * Answers like the service: 202 `{status: 'success', message: 'Event processed', dedup_key}`;
 * 400 `{status: 'invalid event', message: 'Event object is invalid', errors: [...]}`; or the status a
 * test queued with {@link PagerDutyStandIn.answerNext} (429, 500, 503 …).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const TOP = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'images', 'links', 'client', 'client_url']);
const PAYLOAD = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details']);
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * The problems of one event against the Events API v2 schema (empty when valid).
 *
 * @param e - the parsed request body.
 */
export function eventsV2Problems(e: unknown): string[] {
  const p: string[] = [];
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return ['body is not a JSON object'];
  const ev = e as Record<string, unknown>;
  for (const k of Object.keys(ev)) if (!TOP.has(k)) p.push(`unknown field ${k}`);
  if (typeof ev['routing_key'] !== 'string' || ev['routing_key'].length !== 32) p.push('routing_key must be a 32-character string');
  const action = ev['event_action'];
  if (typeof action !== 'string' || !ACTIONS.has(action)) p.push('event_action must be trigger, acknowledge or resolve');
  const dedup = ev['dedup_key'];
  if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length === 0 || dedup.length > 255)) p.push('dedup_key must be a string of 1..255 characters');
  if ((action === 'acknowledge' || action === 'resolve') && dedup === undefined) p.push(`dedup_key is required for ${String(action)}`);
  for (const k of ['client', 'client_url'] as const) if (ev[k] !== undefined && typeof ev[k] !== 'string') p.push(`${k} must be a string`);
  if (action === 'trigger') {
    const payload = ev['payload'];
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      p.push('payload is required for trigger');
    } else {
      const pl = payload as Record<string, unknown>;
      for (const k of Object.keys(pl)) if (!PAYLOAD.has(k)) p.push(`unknown field payload.${k}`);
      const summary = pl['summary'];
      if (typeof summary !== 'string' || summary.length === 0 || summary.length > 1024) p.push('payload.summary must be a string of 1..1024 characters');
      if (typeof pl['source'] !== 'string' || pl['source'] === '') p.push('payload.source must be a non-empty string');
      if (typeof pl['severity'] !== 'string' || !SEVERITIES.has(pl['severity'])) p.push('payload.severity must be critical, error, warning or info');
      const ts = pl['timestamp'];
      if (ts !== undefined && (typeof ts !== 'string' || !ISO_8601.test(ts) || Number.isNaN(Date.parse(ts)))) p.push('payload.timestamp must be ISO 8601');
      for (const k of ['component', 'group', 'class'] as const) if (pl[k] !== undefined && typeof pl[k] !== 'string') p.push(`payload.${k} must be a string`);
      const cd = pl['custom_details'];
      if (cd !== undefined && (typeof cd !== 'object' || cd === null || Array.isArray(cd))) p.push('payload.custom_details must be an object');
    }
  } else if (ev['payload'] !== undefined) {
    p.push(`payload is only documented for trigger, not ${String(action)}`);
  }
  return p;
}

/** One request as the stand-in saw it. */
export interface ReceivedEvent {
  readonly body: Record<string, unknown>;
  readonly status: number;
  readonly problems: readonly string[];
}

/** A running stand-in. */
export interface PagerDutyStandIn {
  /** `http://127.0.0.1:<port>/v2/enqueue`. */
  readonly url: string;
  /** Every request in arrival order (also the refused ones). */
  readonly received: ReceivedEvent[];
  /** The next requests are answered with these statuses, in order, whatever they hold. */
  answerNext(...statuses: number[]): void;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1, an ephemeral port. */
export async function startPagerDutyStandIn(): Promise<PagerDutyStandIn> {
  const received: ReceivedEvent[] = [];
  const queued: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      let problems: string[];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        problems = req.url === '/v2/enqueue' && req.method === 'POST' ? eventsV2Problems(body) : [`${String(req.method)} ${String(req.url)} is not POST /v2/enqueue`];
        if (req.headers['content-type'] !== 'application/json') problems.push('content-type must be application/json');
      } catch {
        problems = ['body is not JSON'];
      }
      const forced = queued.shift();
      const status = forced ?? (problems.length > 0 ? 400 : 202);
      received.push({ body, status, problems });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 202 ? { status: 'success', message: 'Event processed', dedup_key: body['dedup_key'] } : status === 400 ? { status: 'invalid event', message: 'Event object is invalid', errors: problems } : { status: 'error' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    received,
    answerNext: (...statuses) => queued.push(...statuses),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
