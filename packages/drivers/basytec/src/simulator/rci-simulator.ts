/**
 * An RCI stand-in over TCP on 127.0.0.1: parses requests with the configured templates (the real
 * syntax is not public, reference §6) and answers with configured reply formats after a
 * configurable delay. Keeps the channel states (`idle` / `running`) and refuses what the software
 * would plausibly refuse: starting a running channel, an unknown plan, stopping an idle channel.
 * Records the arrival time of every request, to measure the client's rate limit.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { EXAMPLE_RCI_TEMPLATES, LineDecoder, placeholders } from '../codec/rci.js';
import type { RciTemplates } from '../codec/rci.js';

/** Reply formats per command; `{name}` placeholders take the request's values and `{reason}`/`{state}`. */
export interface RciReplyFormats {
  readonly [command: string]: { readonly ok: string; readonly refused: string };
}

/** The replies matching {@link EXAMPLE_RCI_TEMPLATES} (equally invented). */
export const EXAMPLE_RCI_REPLIES: RciReplyFormats = {
  start: { ok: 'OK START {channel}', refused: 'ERR START {channel} {reason}' },
  stop: { ok: 'OK STOP {channel}', refused: 'ERR STOP {channel} {reason}' },
  readState: { ok: 'STATE {channel} {state}', refused: 'ERR STATE {channel} {reason}' },
};

/** Options of {@link startRciSimulator}. */
export interface RciSimulatorOptions {
  /** @default EXAMPLE_RCI_TEMPLATES */
  readonly templates?: RciTemplates;
  /** @default EXAMPLE_RCI_REPLIES */
  readonly replies?: RciReplyFormats;
  /** Plans the software knows. @default ['capacity.pln', 'pulse.pln'] */
  readonly plans?: readonly string[];
  /** Reply delay, ms (real software: 1 s to minutes). @default 20 */
  readonly replyDelayMs?: number;
  /** Commands whose reply never comes (to test timeouts). */
  readonly silentCommands?: readonly string[];
  /** Port. @default 0 (ephemeral) */
  readonly port?: number;
}

/** A running RCI stand-in. */
export interface RciSimulator {
  readonly host: string;
  readonly port: number;
  /** Every request received, with its arrival time (ms, Date.now()). */
  readonly received: { readonly line: string; readonly atMs: number }[];
  /** Channel states. */
  readonly channels: Map<string, 'idle' | 'running'>;
  /** Closes the server and its connections. */
  close(): Promise<void>;
}

function requestRegex(template: string): { re: RegExp; names: string[] } {
  const names = placeholders(template);
  const src = template.split(/\{[A-Za-z_][A-Za-z0-9_]*\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(\\S+)');
  return { re: new RegExp(`^${src}$`), names };
}

const fill = (fmt: string, v: Record<string, string>): string => fmt.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => v[n] ?? '');

/** Starts the RCI stand-in. */
export async function startRciSimulator(o: RciSimulatorOptions = {}): Promise<RciSimulator> {
  const templates = o.templates ?? EXAMPLE_RCI_TEMPLATES;
  const replies = o.replies ?? EXAMPLE_RCI_REPLIES;
  const plans = new Set(o.plans ?? ['capacity.pln', 'pulse.pln']);
  const parsers = Object.entries(templates).map(([name, t]) => ({ name, ...requestRegex(t.request) }));
  const received: { line: string; atMs: number }[] = [];
  const channels = new Map<string, 'idle' | 'running'>();
  const sockets = new Set<Socket>();
  const answer = (line: string): string | undefined => {
    for (const p of parsers) {
      const m = p.re.exec(line);
      if (m === null) continue;
      if (o.silentCommands?.includes(p.name) === true) return undefined;
      const v: Record<string, string> = {};
      p.names.forEach((n, i) => (v[n] = m[i + 1] ?? ''));
      const fmt = replies[p.name];
      if (fmt === undefined) return `ERR ${line}`;
      const ch = v['channel'] ?? '';
      const state = channels.get(ch) ?? 'idle';
      if (p.name === 'start') {
        if (!plans.has(v['plan'] ?? '')) return fill(fmt.refused, { ...v, reason: 'unknown plan' });
        if (state === 'running') return fill(fmt.refused, { ...v, reason: 'channel busy' });
        channels.set(ch, 'running');
      } else if (p.name === 'stop') {
        if (state !== 'running') return fill(fmt.refused, { ...v, reason: 'channel idle' });
        channels.set(ch, 'idle');
      }
      return fill(fmt.ok, { ...v, state });
    }
    return 'ERR unknown command';
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const dec = new LineDecoder();
    sock.on('data', (b: Buffer) => {
      for (const line of dec.push(b).lines) {
        received.push({ line, atMs: Date.now() });
        const reply = answer(line);
        if (reply === undefined) continue;
        setTimeout(() => {
          if (!sock.destroyed) sock.write(`${reply}\r\n`);
        }, o.replyDelayMs ?? 20);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: o.port ?? 0 }, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    host: '127.0.0.1',
    port,
    received,
    channels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
