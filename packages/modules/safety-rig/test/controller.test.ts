import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, errorCode } from '@busbar/core';
import { RigController } from '../src/controller.js';
import type { RigActuators, RigNotice, Timer } from '../src/controller.js';
import { parseScheduleCsv } from '../src/schedule/csv.js';
import { exampleConfig } from './support/config.js';

const NODES = [1, 2, 3, 4, 5, 6, 7, 8];
const BMU = { module_voltage_v: 47.3, max_temperature_c: 25, max_cell_voltage_v: 3.95, min_cell_voltage_v: 3.9 };

/** Timers driven by the manual clock (the interlock's one timer and the retries of failed writes). */
class ManualTimer implements Timer {
  private pending: { at: number; fn: () => void }[] = [];
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.clock.nowMs() + ms, fn };
    this.pending.push(t);
    return t;
  }
  clearTimeout(h: unknown): void {
    this.pending = this.pending.filter((t) => t !== h);
  }
  /** Advances the clock by `ms`, firing each timer when it is due, earliest first. */
  advance(ms: number): void {
    const end = this.clock.nowMs() + ms;
    for (;;) {
      const due = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t !== due);
      this.clock.set(Math.max(this.clock.nowMs(), due.at));
      due.fn();
    }
    this.clock.set(end);
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Safety rig > controller', () => {
  let clock: ManualClock;
  let timer: ManualTimer;
  let calls: string[];
  let notices: RigNotice[];
  let rig: RigController;
  let actuators: RigActuators;
  let failPcs: boolean;

  const healthy = (): void => {
    for (const n of NODES) rig.input(`bmu:${n}`, BMU);
    rig.input('pcs', { battery_voltage_v: 378 });
    rig.input('arduino', { temperature_1_c: 24 });
  };

  beforeEach(() => {
    clock = new ManualClock(0);
    timer = new ManualTimer(clock);
    calls = [];
    notices = [];
    failPcs = false;
    actuators = {
      pcsOff: async () => {
        if (failPcs) throw new Error('no answer');
        calls.push('pcs off');
      },
      pcsSetpoint: async (sp) => void calls.push(`pcs ${sp.mode} ${sp.value}`),
      setOutputs: async (o) => void calls.push(`outputs ${Object.entries(o).map(([k, v]) => `${k}=${v ? 1 : 0}`).join(',')}`),
    };
    rig = new RigController({ interlock: exampleConfig(), clock, wallClock: clock, timer });
    rig.attach(actuators);
    rig.setSink((n) => notices.push(n));
    healthy();
  });

  it('a dangerous cell: PCS off first, relays open when the timer fires 2 s later, safe, latched until reset', async () => {
    rig.input('bmu:3', { ...BMU, max_cell_voltage_v: 4.3 });
    await flush();
    expect(calls).toEqual(['pcs off', 'outputs pump=1,fan=1']);
    expect(notices.filter((n) => n.kind === 'transition').map((n) => n.kind === 'transition' && n.transition.to)).toEqual(['dangerous']);
    timer.advance(1999);
    await flush();
    expect(rig.state).toBe('dangerous');
    timer.advance(1);
    await flush();
    expect(rig.state).toBe('safe');
    expect(calls.slice(2)).toEqual(['outputs relay1=0,relay2=0,relay3=0', 'pcs off', 'outputs pump=0,fan=0,relay1=0,relay2=0,relay3=0']);
    expect(() => rig.reset()).toThrow(/cell_voltage_high/);
    rig.input('bmu:3', BMU);
    expect(rig.reset()).toBe('normal');
  });

  it('stale inputs trip through the timer alone (a silent bus blocks nothing)', async () => {
    timer.advance(3001);
    await flush();
    expect(rig.state).toBe('dangerous');
    expect(calls[0]).toBe('pcs off');
  });

  it('a schedule drives the PCS, is paused by warning and resumed by normal, stopped by dangerous', async () => {
    const schedule = parseScheduleCsv('Interval [s],Current [A]\n2,-20\n2,20\n', 'current', exampleConfig().envelope, 's.csv');
    rig.startSchedule(schedule, false);
    await flush();
    expect(calls).toEqual(['pcs current -20']);
    timer.advance(1000);
    healthy();
    rig.input('bmu:2', { ...BMU, max_temperature_c: 35 });
    await flush();
    expect(rig.schedule).toEqual({ name: 's.csv', status: 'paused', step: 0 });
    timer.advance(2500); // time stands still for the paused schedule (inputs still fresh)
    healthy();
    rig.input('bmu:2', { ...BMU, max_temperature_c: 25 });
    await flush();
    expect(rig.schedule?.status).toBe('running');
    expect(calls).toEqual(['pcs current -20', 'outputs pump=1,fan=1', 'outputs pump=0,fan=0', 'pcs current -20']);
    timer.advance(1000);
    await flush();
    expect(calls.at(-1)).toBe('pcs current 20');
    healthy();
    rig.input('pcs', { battery_voltage_v: 395 });
    await flush();
    expect(rig.schedule?.status).toBe('stopped');
    expect(() => rig.startSchedule(schedule, false)).toThrow(expect.objectContaining({ code: 'BB_RIG_STATE_REFUSED' }));
  });

  it('manual commands are refused outside their states, and a failed action is reported, never thrown', async () => {
    await rig.pcsSetpoint({ mode: 'power', value: 10 });
    expect(calls).toEqual(['pcs power 10']);
    await expect(rig.pcsSetpoint({ mode: 'power', value: 31 })).rejects.toThrow(/outside the envelope/);
    failPcs = true;
    rig.input('bmu:1', { ...BMU, module_voltage_v: 50 });
    await flush();
    const failed = notices.find((n) => n.kind === 'action' && !n.ok);
    expect(failed).toEqual(expect.objectContaining({ error: 'no answer', action: expect.objectContaining({ kind: 'pcs_off' }) }));
    await expect(rig.setOutputs({ pump: true })).rejects.toSatisfy((e) => errorCode(e) === 'BB_RIG_STATE_REFUSED');
    await expect(rig.pcsSetpoint({ mode: 'power', value: 1 })).rejects.toThrow(/while the interlock is dangerous/);
  });

  it('enforces the safe state on a new session, and queues notices while no sink is attached', async () => {
    rig.input('bmu:1', { ...BMU, module_voltage_v: 50 });
    timer.advance(2000);
    await flush();
    rig.detach(actuators);
    rig.setSink(undefined);
    calls = [];
    await expect(rig.setOutputs({ pump: true })).rejects.toThrow(/safe/);
    rig.attach(actuators);
    await flush();
    expect(calls).toEqual(['pcs off', 'outputs pump=0,fan=0,relay1=0,relay2=0,relay3=0']);
    const later: RigNotice[] = [];
    rig.setSink((n) => later.push(n));
    expect(later.length).toBe(2); // the two enforcement actions, delivered on attach of the sink
  });

  it('staleness counts from the first session, not from the controller\'s creation (links take time to open)', async () => {
    const late = new RigController({ interlock: exampleConfig(), clock, wallClock: clock, timer });
    timer.advance(10_000); // opening the links took 10 s
    expect(late.state).toBe('normal');
    late.attach(actuators);
    timer.advance(3000);
    expect(late.state).toBe('normal');
    timer.advance(1);
    expect(late.state).toBe('dangerous'); // nothing came within the BMU age after the attach
    late.stop();
  });

  it('a failed PCS off in dangerous is sent again (core backoff from 1 s) until it succeeds', async () => {
    failPcs = true;
    rig.input('bmu:1', { ...BMU, module_voltage_v: 50 });
    await flush();
    expect(notices.filter((n) => n.kind === 'action' && n.action.kind === 'pcs_off' && !n.ok)).toHaveLength(1);
    expect(calls).not.toContain('pcs off');
    timer.advance(1250); // 1 s ± 20 % jitter: the first retry, still failing
    await flush();
    expect(notices.filter((n) => n.kind === 'action' && n.action.kind === 'pcs_off' && !n.ok)).toHaveLength(2);
    failPcs = false;
    timer.advance(2500); // the second retry (2 s ± 20 %) gets through
    await flush();
    expect(calls).toContain('pcs off');
    // the retry itself got through (not only the PCS-off of entering safe at 2 s)
    expect(notices.some((n) => n.kind === 'action' && n.ok && n.action.kind === 'pcs_off' && /enforced again after a failed write/.test(n.action.reason))).toBe(true);
  });

  it('a retried outputs write is the current state\'s, never an older one replayed; a failed write issued in normal is not retried', async () => {
    let failOutputs = true;
    actuators.setOutputs = async (o) => {
      if (failOutputs) throw new Error('sketch busy');
      calls.push(`outputs ${Object.entries(o).map(([k, v]) => `${k}=${v ? 1 : 0}`).join(',')}`);
    };
    await expect(rig.setOutputs({ pump: true })).rejects.toThrow(/sketch busy/); // a manual write in normal: reported to its command only
    rig.input('bmu:1', { ...BMU, module_voltage_v: 50 }); // dangerous: pump+fan on fails, relays due at 2 s
    await flush();
    timer.advance(2000); // safe: relays-open and the safe outputs fail too
    await flush();
    expect(rig.state).toBe('safe');
    failOutputs = false;
    timer.advance(3000); // the pending outputs retry (its second attempt, 2 s ± 20 % after the first failed), computed for safe
    await flush();
    expect(calls.filter((c) => c.startsWith('outputs'))).toEqual(['outputs pump=0,fan=0,relay1=0,relay2=0,relay3=0']);
    timer.advance(60_000);
    await flush();
    expect(calls.filter((c) => c.startsWith('outputs'))).toEqual(['outputs pump=0,fan=0,relay1=0,relay2=0,relay3=0']); // nothing replayed after success
  });

  it('a set-point queued in normal is not written once the rig turned dangerous while it waited', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    let first = true;
    actuators.pcsSetpoint = async (sp) => {
      if (first) {
        first = false;
        await slow; // the PCS is slow to answer the first write
      }
      calls.push(`pcs ${sp.mode} ${sp.value}`);
    };
    const a = rig.pcsSetpoint({ mode: 'power', value: 1 });
    const b = rig.pcsSetpoint({ mode: 'power', value: 2 }); // queued behind the first, admitted in normal
    await flush();
    rig.input('bmu:1', { ...BMU, module_voltage_v: 50 }); // dangerous while b waits
    release();
    await a;
    await expect(b).rejects.toSatisfy((e) => errorCode(e) === 'BB_RIG_STATE_REFUSED');
    await flush();
    expect(calls.filter((c) => c.startsWith('pcs'))).toEqual(['pcs power 1', 'pcs off']); // never 'pcs power 2'
  });

  it('without a session, actions fail as not sent and are reported', async () => {
    rig.detach(actuators);
    rig.input('bmu:1', { ...BMU, module_voltage_v: 50 });
    await flush();
    expect(notices.find((n) => n.kind === 'action' && !n.ok)).toEqual(expect.objectContaining({ errorCode: 'BB_COMMAND_DEVICE_UNAVAILABLE' }));
  });
});
