/**
 * Local stand-ins for a Slack incoming webhook and Opsgenie's Alert API v2 "create alert" endpoint
 * that check each request body field by field (written from the vendors' public documentation for
 * these tests, not from their code):
 *
 * Slack ("Sending messages using incoming webhooks"; Block Kit reference, "Section block" and the
 * text object): a JSON object with `text` (a non-empty string: the message, the notification's
 * fallback when there are blocks) and optional `blocks`, an array of at most 50 blocks; here every
 * block must be a section `{type:'section', text:{type:'mrkdwn', text}}` with `text` a non-empty
 * string of at most 3000 characters. Answers 200 `ok`, or 400 `invalid_payload` with the problems.
 *
 * Opsgenie ("Alert API", section "Create Alert"): header `Authorization: GenieKey <key>`; `message`
 * required, 1..130 characters; `alias` ≤ 512; `description` ≤ 15000; `priority` P1..P5; `tags` an
 * array of at most 20 strings of at most 50 characters; `details` an object of string values, at
 * most 8000 characters in total (keys and values); `entity` ≤ 512; `source`, `user` ≤ 100, `note`
 * ≤ 25000; unknown fields reported. Answers 202 `{result:'Request will be processed', took, requestId}`,
 * or 422 with the problems.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The problems of a Slack incoming-webhook message (empty when valid, as these tests require it).
 *
 * @param body - the parsed request body.
 */
export function slackProblems(body: unknown): string[] {
  if (!isObject(body)) return ['body is not a JSON object'];
  const p: string[] = [];
  for (const k of Object.keys(body)) if (!['text', 'blocks'].includes(k)) p.push(`unexpected field ${k}`);
  if (!isString(body['text']) || body['text'].length === 0) p.push('text must be a non-empty string');
  const blocks = body['blocks'];
  if (!Array.isArray(blocks)) return [...p, 'blocks must be an array'];
  if (blocks.length > 50) p.push(`at most 50 blocks, got ${blocks.length}`);
  blocks.forEach((b: unknown, i) => {
    if (!isObject(b) || b['type'] !== 'section') return void p.push(`blocks.${i}: must be a section block`);
    const t = b['text'];
    if (!isObject(t) || t['type'] !== 'mrkdwn') return void p.push(`blocks.${i}.text: must be a mrkdwn text object`);
    if (!isString(t['text']) || t['text'].length === 0 || [...t['text']].length > 3000) p.push(`blocks.${i}.text.text: must be a string of 1..3000 characters`);
  });
  return p;
}

const OPSGENIE_FIELDS = new Set(['message', 'alias', 'description', 'responders', 'visibleTo', 'actions', 'tags', 'details', 'entity', 'source', 'priority', 'user', 'note']);
const chars = (s: string): number => [...s].length;

/**
 * The problems of an Opsgenie create-alert request body (empty when valid).
 *
 * @param body - the parsed request body.
 */
export function opsgenieProblems(body: unknown): string[] {
  if (!isObject(body)) return ['body is not a JSON object'];
  const p: string[] = [];
  for (const k of Object.keys(body)) if (!OPSGENIE_FIELDS.has(k)) p.push(`unknown field ${k}`);
  const limited = (k: string, max: number, required = false): void => {
    const v = body[k];
    if (v === undefined) return void (required && p.push(`${k} is required`));
    if (!isString(v) || chars(v) > max || (required && v.length === 0)) p.push(`${k} must be a string of at most ${max} characters`);
  };
  limited('message', 130, true);
  limited('alias', 512);
  limited('description', 15000);
  limited('entity', 512);
  limited('source', 100);
  limited('user', 100);
  limited('note', 25000);
  const priority = body['priority'];
  if (priority !== undefined && !['P1', 'P2', 'P3', 'P4', 'P5'].includes(priority as string)) p.push('priority must be P1..P5');
  const tags = body['tags'];
  if (tags !== undefined && (!Array.isArray(tags) || tags.length > 20 || !tags.every((t) => isString(t) && chars(t) <= 50))) p.push('tags must be at most 20 strings of at most 50 characters');
  const details = body['details'];
  if (details !== undefined) {
    if (!isObject(details) || !Object.values(details).every(isString)) p.push('details must map strings to strings');
    else if (Object.entries(details).reduce((n, [k, v]) => n + chars(k) + chars(v as string), 0) > 8000) p.push('details must hold at most 8000 characters');
  }
  return p;
}

/** One request as received. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  readonly problems: readonly string[];
}

/** A running stand-in: `/slack/…` checks Slack messages, `/v2/alerts` Opsgenie create-alert requests. */
export interface ChatReceivers {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Every request, in order. */
  readonly requests: ReceivedRequest[];
  stop(): Promise<void>;
}

/**
 * Starts the stand-ins on 127.0.0.1 (ephemeral port).
 *
 * @param genieKey - the `Authorization: GenieKey <key>` value the Opsgenie stand-in accepts (401 otherwise).
 */
export async function startChatReceivers(genieKey: string): Promise<ChatReceivers> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      let body: unknown;
      let problems: string[];
      try {
        body = JSON.parse(raw);
        problems = path.startsWith('/slack/') ? slackProblems(body) : path === '/v2/alerts' ? opsgenieProblems(body) : [`no receiver at ${path}`];
      } catch (err) {
        body = raw;
        problems = [`not JSON: ${(err as Error).message}`];
      }
      if (req.headers['content-type'] !== 'application/json') problems.push('content-type must be application/json');
      if (path === '/v2/alerts' && req.headers.authorization !== `GenieKey ${genieKey}`) problems.push('Authorization must be GenieKey <key>');
      requests.push({ path, headers: req.headers, body, problems });
      if (path.startsWith('/slack/')) {
        res.writeHead(problems.length === 0 ? 200 : 400, { 'content-type': 'text/plain' }).end(problems.length === 0 ? 'ok' : `invalid_payload: ${problems.join('; ')}`);
      } else {
        res.writeHead(problems.length === 0 ? 202 : 422, { 'content-type': 'application/json' }).end(JSON.stringify(problems.length === 0 ? { result: 'Request will be processed', took: 0.01, requestId: String(requests.length) } : { message: problems.join('; '), took: 0.01 }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
