/**
 * Secrets stay out of the logs, and the logs are clean — the whole local stack as an operator runs
 * it (`deploy/local/stack.ts`: real Kafka, InfluxDB and SMTP servers; the Modbus, Arbin, Maccor,
 * Corus and BaSyTec simulators and, with the Python peers, the safety rig; every collector, the historian, the alerter and the commander as
 * separate processes from dist/, their stdout and stderr captured in `logs/<service>.log`).
 *
 * Distinctive secrets are configured the way a deployment keeps them: the InfluxDB token in the
 * historian's `tokenFile`, the SMTP password in `passwordFile`, a webhook token in the URL path
 * (`urlFile`) and another in an `Authorization` header (`{ file }`), the Arbin CTI password in the
 * collector's environment. A rule that fires at once provokes notifications that FAIL: the webhook
 * answers HTTP 500 and the SMTP server offers no STARTTLS while the alerter requires it. Then:
 * - no secret appears in any service log (each one is first shown to have been used);
 * - every line of every log is one JSON object with a string level and no repeated key
 *   (no plain-text line, no kafkajs `TimeoutNegativeWarning`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startStack } from '../../deploy/local/stack.js';
import type { Stack } from '../../deploy/local/stack.js';
import { arbinCyclers } from '../../deploy/local/plugins/arbin.js';
import { basytecTesters } from '../../deploy/local/plugins/basytec.js';
import { corusConverters } from '../../deploy/local/plugins/corus.js';
import { maccorTesters } from '../../deploy/local/plugins/maccor.js';
import { modbusPowerSupplies } from '../../deploy/local/plugins/modbus-power-supply.js';
import { safetyRig } from '../../deploy/local/plugins/safety-rig.js';
import { peersPython } from '../../deploy/local/rig-peers.js';
import { logLineProblem } from '../support/log-lines.js';

/** The rig's BMS and PCS are Python peers (scripts/peers/setup-venv.sh): without them its collector is left out, as in the demo. */
const withRig = peersPython() !== undefined;
const SERVICES = ['collector-modbus', 'collector-arbin', 'collector-maccor', 'collector-corus', 'collector-basytec', ...(withRig ? ['collector-safety-rig'] : []), 'historian', 'alerter', 'commander'];
const SECRETS = {
  smtpPassword: 'smtp-Pw-7fQ2-e2e-secret',
  webhookPathToken: 'hookPathTok-3xV9-e2e',
  webhookHeaderToken: 'hookHdrTok-8mK4-e2e',
  arbinPassword: 'arbin-Pw-5tR1-e2e',
};

const secretsDir = mkdtempSync(join(tmpdir(), 'busbar-e2e-secrets-'));
const runDir = mkdtempSync(join(tmpdir(), 'busbar-e2e-secrets-run-'));
let hook: Server;
const hookRequests: { url: string; headers: IncomingHttpHeaders }[] = [];
let stack: Stack | undefined;
let logs: Record<string, string> = {};

const until = async (what: string, cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const logOf = (s: Stack, name: string): string => readFileSync(s.services.get(name)!.logFile, 'utf8');

beforeAll(async () => {
  // the stack runs the services from dist/: build them (turbo restores what did not change)
  const r = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', ...SERVICES.map((s) => `--filter=@busbar/${s}`)], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`turbo build failed:\n${r.stdout}\n${r.stderr}`);

  hook = createServer((req, res) => {
    hookRequests.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.statusCode = 500;
    res.end('pager down');
  });
  await new Promise<void>((res) => hook.listen(0, '127.0.0.1', res));
  const hookPort = (hook.address() as AddressInfo).port;
  writeFileSync(join(secretsDir, 'hook-url'), `http://127.0.0.1:${hookPort}/services/T0/${SECRETS.webhookPathToken}\n`, { mode: 0o600 });
  writeFileSync(join(secretsDir, 'hook-auth'), `Bearer ${SECRETS.webhookHeaderToken}\n`, { mode: 0o600 });
  writeFileSync(join(secretsDir, 'smtp-password'), `${SECRETS.smtpPassword}\n`, { mode: 0o600 });
  process.env.ARBIN_CTI_PASSWORD = SECRETS.arbinPassword; // the arbin plugin hands it to collector-arbin's environment

  stack = await startStack({
    runDir,
    plugins: [modbusPowerSupplies({ devices: 1, pollIntervalMs: 500 }), arbinCyclers(), maccorTesters(), corusConverters(), basytecTesters({ dir: join(runDir, 'basytec') }), ...(withRig ? [safetyRig()] : [])],
    // fires on the first reading of psu-1
    alerterRules: [{ id: 'psu-any', devices: ['psu-1'], signal: 'temperature_c', direction: 'above', critical: -1000, clear: -2000 }],
    alerterSections: (smtp) => ({
      email: { smtp: { host: smtp.host, port: smtp.port, requireTLS: true, user: 'alerts', passwordFile: join(secretsDir, 'smtp-password'), greetingTimeoutMs: 2000 }, from: 'busbar@lab.localhost', to: ['oncall@lab.localhost'] },
      webhooks: [{ urlFile: join(secretsDir, 'hook-url'), headers: { Authorization: { file: join(secretsDir, 'hook-auth') } }, timeoutMs: 2000 }],
      outbox: { path: join(runDir, 'state', 'alerter.outbox.sqlite'), retryInitialMs: 200, retryMaxMs: 1000 },
    }),
  });
  const s = stack;
  // both channels failed at least twice (each failure is logged by the outbox), the historian wrote
  await until('two failed webhook attempts', () => hookRequests.length >= 2, 90_000);
  await until('two failed e-mail attempts in the alerter log', () => (logOf(s, 'alerter').match(/"channel":"email"[^\n]*notification failed/g) ?? []).length >= 2, 60_000);
  await until('the historian writing', () => /"msg":"historian running"/.test(logOf(s, 'historian')), 60_000);
  // figure: how many kafkajs TimeoutNegativeWarnings each service dropped (busbar_kafka_client_warnings_dropped_total)
  const dropped = await Promise.all(SERVICES.map(async (n) => {
    const text = await fetch(s.services.get(n)!.metricsUrl).then((r) => r.text());
    return `${n}=${/^busbar_kafka_client_warnings_dropped_total\{warning="TimeoutNegativeWarning"\} (\d+)/m.exec(text)?.[1] ?? 0}`;
  }));
  console.log(`[figure] kafkajs TimeoutNegativeWarning dropped per service: ${dropped.join(' ')}`);
  const codes = await s.stop();
  expect(codes).toEqual(Object.fromEntries(SERVICES.map((n) => [n, 0])));
  logs = Object.fromEntries(readdirSync(join(runDir, 'logs')).map((f) => [f.replace(/\.log$/, ''), readFileSync(join(runDir, 'logs', f), 'utf8')]));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
  for (const d of [secretsDir, runDir]) rmSync(d, { recursive: true, force: true });
});

describe('e2e > secrets and logs', () => {
  it('used every secret: the hook got its path token and header, the SMTP attempts and the InfluxDB writes happened', () => {
    expect(hookRequests[0]).toMatchObject({ url: `/services/T0/${SECRETS.webhookPathToken}`, headers: { authorization: `Bearer ${SECRETS.webhookHeaderToken}` } });
    expect(logs.alerter).toMatch(/"code":"BB_ALERTER_SMTP_TLS_FAILED"/);
    expect(logs.alerter).toMatch(/"code":"BB_ALERTER_WEBHOOK_FAILED"/);
    expect(logs.alerter).toContain('webhook http://127.0.0.1:');
    expect(logs['collector-arbin']).toMatch(/"device":"arbin-1"/);
    expect(readFileSync(join(runDir, 'config', 'influx.token'), 'utf8').trim()).toBe(stack!.influx.token);
  });

  it('no service log holds any secret', () => {
    expect(Object.keys(logs).sort()).toEqual([...SERVICES].sort());
    const secrets = { ...SECRETS, influxToken: stack!.influx.token };
    const found: string[] = [];
    for (const [service, text] of Object.entries(logs)) {
      for (const [name, secret] of Object.entries(secrets)) if (text.includes(secret)) found.push(`${name} in ${service}.log`);
    }
    expect(found).toEqual([]);
  });

  it('every line of every service log is one JSON object with a string level and no repeated key; no TimeoutNegativeWarning', () => {
    const problems: string[] = [];
    for (const [service, text] of Object.entries(logs)) {
      const lines = text.split('\n').filter((l) => l !== '');
      expect(lines.length, service).toBeGreaterThan(2);
      lines.forEach((line, i) => {
        const problem = logLineProblem(line);
        if (problem !== undefined) problems.push(`${service}.log:${i + 1}: ${problem}: ${line.slice(0, 200)}`);
      });
      if (text.includes('TimeoutNegativeWarning')) problems.push(`${service}.log: TimeoutNegativeWarning`);
    }
    expect(problems).toEqual([]);
  });
});
