/**
 * Corus writes on a real `CorusSession` against the driver's simulator: the expiry of a write is
 * checked inside its slot of the session's priority queue, immediately before the first frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '@busbar/avro';
import { corusCommanderSectionSchema, createCorusBinding } from '@busbar/actions';
import { CommandExecutor } from '@busbar/commands';
import { CorusSession, EXAMPLE_CORUS_MAP, Priority, startCorusSimulator, tcpTransport } from '@busbar/driver-itron-corus';
import type { CorusSimulator, ExactDecimal } from '@busbar/driver-itron-corus';

let sim: CorusSimulator;
let session: CorusSession;

beforeAll(async () => {
  sim = await startCorusSimulator({ map: EXAMPLE_CORUS_MAP, historyRecords: 0, seed: 1 });
  session = new CorusSession({
    transport: tcpTransport({ host: sim.host, port: sim.port }),
    map: EXAMPLE_CORUS_MAP,
    timeouts: { wakeupMs: 500, responseMs: 500, databaseFrameMs: 500, writeAckMs: 500, passwordMs: 500, identificationMs: 500 },
    wakeupRetryDelayMs: 10,
    keepAliveIntervalMs: 0,
  });
});

afterAll(async () => {
  await session?.close();
  await sim?.close();
});

const section = corusCommanderSectionSchema.parse({ devices: [{ id: 'corus-1', connection: { kind: 'tcp', host: '127.0.0.1', port: 1 }, map: EXAMPLE_CORUS_MAP, timeZone: 'Europe/Paris' }] });
const binding = createCorusBinding(section, 'route.topic');
const executor = new CommandExecutor({ resolve: (c) => ({ kind: 'execute', action: binding.prepare(c, () => session) }) });

function cmd(parameters: Command['parameters'], expiresInMs: number): Command {
  return { command_id: `c-${Math.random()}`, issuer: 't', issued_at: new Date(), expires_at: new Date(Date.now() + expiresInMs), target: { device_id: 'corus-1', channel: null }, action: 'corus.write_parameters', parameters, dry_run: false } as Command;
}

/** Occupies the session's queue for `ms` (as a log window in progress does). */
function busy(ms: number): Promise<void> {
  return session.enqueue(Priority.read, () => new Promise<void>((r) => setTimeout(r, ms)));
}

describe('actions > corus > on a real session', () => {
  it('a write whose expiry passes while it waits in the session queue → EXPIRED, nothing written; in time → written', async () => {
    await session.readParameters(['battery_days']); // link open
    const writesBefore = sim.stats.writes;
    const holding = busy(300);
    const expired = await executor.handle(cmd({ display_contrast: '3' }, 100)); // admitted in time, waits 300 ms
    await holding;
    expect(expired).toMatchObject({ kind: 'result', result: { status: 'EXPIRED', reason_code: 'BB_COMMAND_EXPIRED' } });
    expect(sim.stats.writes).toBe(writesBefore);

    const ok = await executor.handle(cmd({ display_contrast: '4' }, 5_000));
    expect(ok).toMatchObject({ kind: 'result', result: { status: 'EXECUTED', details: { answer: 'ACK' } } });
    expect(sim.stats.writes).toBe(writesBefore + 1);
    expect((sim.parameter('display_contrast') as ExactDecimal).toString()).toBe('4');
  });
});
