/**
 * The rig's interlock: the rule table evaluated on every sample, the states normal → warning →
 * dangerous → safe, the actions each state asks for, and stale inputs counted as dangerous.
 *
 * Pure: no I/O, no timers. Time comes in as arguments (ms of a monotonic clock); the caller (the rig
 * collector) feeds samples with {@link InterlockEngine.update}, calls {@link InterlockEngine.evaluate}
 * at {@link InterlockEngine.nextDeadlineMs} (stale inputs, the delayed relay opening), and executes
 * the returned actions in order. The engine never waits on anything.
 *
 * Semantics (safety-rig reference §6.1 thresholds and §6.2 states, with D1–D10 fixed; README.md):
 * - a rule instance (rule × input: each configured BMU node, the PCS, the Arduino) has a live level:
 *   `above` reaches a level at value ≥ level and leaves it at value ≤ level − hysteresis (`below`
 *   mirrored); a latched rule keeps the highest level it reached until {@link InterlockEngine.reset};
 * - a quantity not refreshed for its input's `staleAfterMs` (from the engine's start for one never
 *   seen) is a dangerous condition (D5: a quiet bus never blocks anything; D8: a failing read escalates);
 * - normal ↔ warning follow the conditions (leaving warning runs the `normal` actions: D2);
 * - any dangerous condition: dangerous — PCS off and the dangerous outputs at once, the relays opened
 *   `relayOpenDelayMs` later, then safe (always reached: D1) with its actions; safe is latched until
 *   a reset, which is refused while a dangerous condition persists.
 */
import { RigError } from '../errors.js';
import type { InputKind, InterlockConfig, InterlockRule, PcsSetpoint } from './config.js';

/** The interlock's state (the original's normal/warning/dangerous/security states, reference §6.2). */
export type RigState = 'normal' | 'warning' | 'dangerous' | 'safe';

/** A level a rule instance can be at. */
export type Level = 'normal' | 'warning' | 'dangerous';

/** What the collector must do, in the order given. */
export type InterlockAction =
  | { readonly kind: 'outputs'; readonly outputs: Readonly<Record<string, boolean>>; readonly reason: string }
  | { readonly kind: 'pcs_off'; readonly reason: string }
  | { readonly kind: 'pcs_setpoint'; readonly setpoint: PcsSetpoint; readonly reason: string };

/** A rule instance past one of its levels (or stale). */
export interface Condition {
  /** Rule id, or `stale` for a stale input. */
  readonly rule: string;
  /** Input key: `bmu:<node>`, `pcs`, `arduino`. */
  readonly input: string;
  readonly quantity: string;
  readonly level: Exclude<Level, 'normal'>;
  /** Last value seen (undefined: never seen). */
  readonly value: number | undefined;
  /** The level's threshold (the age limit in ms for a stale input). */
  readonly limit: number;
  /** True when the input is stale rather than past a threshold. */
  readonly stale: boolean;
  /** True when the level is held by the rule's latch (the live value is back). */
  readonly latched: boolean;
}

/** A state change, with what triggered it. */
export interface Transition {
  readonly from: RigState;
  readonly to: RigState;
  /** Monotonic ms at which it happened. */
  readonly atMs: number;
  /** The condition that drove it (the worst one), or none (return to normal, relays opened, reset). */
  readonly cause: Condition | undefined;
  /** One sentence. */
  readonly reason: string;
}

/** What one call of the engine produced. */
export interface InterlockStep {
  readonly transitions: readonly Transition[];
  readonly actions: readonly InterlockAction[];
}

interface Instance {
  readonly rule: InterlockRule;
  readonly input: string;
  live: Level;
  latched: Level;
}

interface Sample {
  value: number;
  atMs: number;
}

const RANK: Record<Level, number> = { normal: 0, warning: 1, dangerous: 2 };
const worse = (a: Level, b: Level): Level => (RANK[a] >= RANK[b] ? a : b);

/**
 * The interlock of one rig. See the file header for its semantics.
 */
export class InterlockEngine {
  private current: RigState = 'normal';
  private readonly instances: Instance[] = [];
  private readonly samples = new Map<string, Sample>();
  /** When each input last sent anything (monotonic ms). */
  private readonly inputSeen = new Map<string, number>();
  private readonly staleAfter: Record<InputKind, number>;
  private readonly inputs: Set<string>;
  private startMs: number | undefined;
  private relayDeadlineMs: number | undefined;
  private warningActions = new Set<string>();

  /**
   * @param config - a validated `interlock:` section (`parseInterlockConfig`).
   * @param startMs - monotonic ms of start: an input never seen becomes stale `staleAfterMs` after it.
   *   Absent: nothing is stale until {@link InterlockEngine.start} (the links are still opening).
   */
  constructor(private readonly config: InterlockConfig, startMs?: number) {
    this.startMs = startMs;
    this.staleAfter = { bmu: config.inputs.bmu.staleAfterMs, pcs: config.inputs.pcs.staleAfterMs, arduino: config.inputs.arduino.staleAfterMs };
    const bmus = config.inputs.bmu.nodes.map((n) => `bmu:${n}`);
    this.inputs = new Set([...bmus, 'pcs', 'arduino']);
    for (const rule of config.rules) {
      for (const input of rule.source === 'bmu' ? bmus : [rule.source]) this.instances.push({ rule, input, live: 'normal', latched: 'normal' });
    }
  }

  /** Starts the staleness clock (once; later calls change nothing): the rig's links are up. */
  start(nowMs: number): void {
    this.startMs ??= nowMs;
  }

  /** The current state. */
  get state(): RigState {
    return this.current;
  }

  /** Whether an input key (`bmu:3`, `pcs`, `arduino`) is one the rules read. */
  knows(input: string): boolean {
    return this.inputs.has(input);
  }

  /**
   * Feeds one sample of an input (a decoded CAN PDO, a PCS poll, an Arduino line) and evaluates.
   * Fields no rule reads are ignored; non-finite values are ignored (they refresh nothing).
   *
   * @param input - `bmu:<node>`, `pcs` or `arduino`.
   * @param values - field name (SI unit in the name) → value.
   * @param atMs - monotonic ms of arrival.
   * @throws {RigError} `BB_RIG_INPUT_UNKNOWN` for an input not configured (nothing changes).
   */
  update(input: string, values: Readonly<Record<string, number>>, atMs: number): InterlockStep {
    if (!this.inputs.has(input)) throw new RigError('BB_RIG_INPUT_UNKNOWN', `input ${input} is not configured (inputs: ${[...this.inputs].join(', ')})`, { input });
    this.inputSeen.set(input, atMs);
    for (const [quantity, value] of Object.entries(values)) {
      if (Number.isFinite(value)) this.samples.set(`${input}/${quantity}`, { value, atMs });
    }
    for (const inst of this.instances) {
      if (inst.input !== input) continue;
      const sample = this.samples.get(`${input}/${inst.rule.quantity}`);
      if (sample && sample.atMs === atMs) this.refreshLevel(inst, sample.value);
    }
    return this.settle(atMs);
  }

  /** Evaluates staleness and the delayed relay opening at `nowMs` (monotonic). */
  evaluate(nowMs: number): InterlockStep {
    return this.settle(nowMs);
  }

  /**
   * The next monotonic instant at which {@link evaluate} may change something (an input turning
   * stale, the relays' opening); undefined when nothing is pending.
   */
  nextDeadlineMs(): number | undefined {
    if (this.current === 'dangerous') return this.relayDeadlineMs;
    if (this.current === 'safe' || this.startMs === undefined) return undefined;
    const startMs = this.startMs;
    let next: number | undefined;
    for (const inst of this.instances) {
      const at = (this.lastSeen(inst) ?? startMs) + this.staleAfter[kindOf(inst.input)] + 1;
      if (next === undefined || at < next) next = at;
    }
    for (const input of this.inputs) {
      const at = (this.inputSeen.get(input) ?? startMs) + this.staleAfter[kindOf(input)] + 1;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /**
   * Every condition past a level (or stale) at `nowMs`, worst first: the rules' conditions, then
   * each input that sent nothing at all for its `staleAfterMs` (quantity `*`: an input no rule
   * reads — the Arduino of the example — is watched too).
   *
   * @param liveOnly - ignore latches (what "persists" means for a reset).
   */
  conditions(nowMs: number, liveOnly = false): Condition[] {
    const out: Condition[] = [];
    for (const inst of this.instances) {
      const c = this.conditionOf(inst, nowMs, liveOnly);
      if (c) out.push(c);
    }
    for (const input of this.startMs === undefined ? [] : this.inputs) {
      const seen = this.inputSeen.get(input);
      const limit = this.staleAfter[kindOf(input)];
      if (nowMs - (seen ?? this.startMs!) > limit) out.push({ rule: 'stale', input, quantity: '*', level: 'dangerous', value: undefined, limit, stale: true, latched: false });
    }
    return out.sort((a, b) => RANK[b.level] - RANK[a.level]);
  }

  /**
   * Clears the latches (rig.reset_latch): from safe back to normal (or warning), or, in normal or
   * warning, forgets the latched levels.
   *
   * @throws {RigError} `BB_RIG_RESET_REFUSED` while the rig is still acting on dangerous (relays not
   *   yet open) or a dangerous condition persists (named in the message); nothing changes then.
   */
  reset(nowMs: number): InterlockStep {
    if (this.current === 'dangerous') throw new RigError('BB_RIG_RESET_REFUSED', 'the rig is still acting on a dangerous state (relays not yet open); reset refused', { state: this.current });
    const persisting = this.conditions(nowMs, true).find((c) => c.level === 'dangerous');
    if (persisting) throw new RigError('BB_RIG_RESET_REFUSED', `reset refused: ${describe(persisting)} persists`, { rule: persisting.rule, input: persisting.input });
    for (const inst of this.instances) inst.latched = inst.live;
    if (this.current !== 'safe') return this.settle(nowMs);
    this.current = 'normal';
    this.warningActions = new Set();
    const reset: Transition = { from: 'safe', to: 'normal', atMs: nowMs, cause: undefined, reason: 'latch reset by rig.reset_latch; no dangerous condition persists' };
    const next = this.settle(nowMs);
    return { transitions: [reset, ...next.transitions], actions: [{ kind: 'outputs', outputs: this.config.actions.normal.outputs, reason: 'reset: normal outputs' }, ...next.actions] };
  }

  private lastSeen(inst: Instance): number | undefined {
    return this.samples.get(`${inst.input}/${inst.rule.quantity}`)?.atMs;
  }

  private refreshLevel(inst: Instance, raw: number): void {
    const { rule } = inst;
    const value = rule.absolute ? Math.abs(raw) : raw;
    const past = (limit: number | undefined, held: boolean): boolean => {
      if (limit === undefined) return false;
      if (rule.comparator === 'above') return value >= limit || (held && value > limit - rule.hysteresis);
      return value <= limit || (held && value < limit + rule.hysteresis);
    };
    const was = inst.live;
    inst.live = past(rule.dangerous, was === 'dangerous') ? 'dangerous' : past(rule.warning, was !== 'normal') ? 'warning' : 'normal';
    inst.latched = rule.latch ? worse(inst.latched, inst.live) : inst.live;
  }

  /** The instance's condition; `liveOnly` ignores latches (what "persists" means for a reset). */
  private conditionOf(inst: Instance, nowMs: number, liveOnly = false): Condition | undefined {
    const sample = this.samples.get(`${inst.input}/${inst.rule.quantity}`);
    const limitMs = this.staleAfter[kindOf(inst.input)];
    if (this.startMs !== undefined && nowMs - (sample?.atMs ?? this.startMs) > limitMs) {
      return { rule: 'stale', input: inst.input, quantity: inst.rule.quantity, level: 'dangerous', value: sample?.value, limit: limitMs, stale: true, latched: false };
    }
    const level = liveOnly ? inst.live : inst.latched;
    if (level === 'normal') return undefined;
    const limit = level === 'dangerous' ? inst.rule.dangerous! : inst.rule.warning!;
    return { rule: inst.rule.id, input: inst.input, quantity: inst.rule.quantity, level, value: sample?.value, limit, stale: false, latched: level !== inst.live };
  }

  private settle(nowMs: number): InterlockStep {
    const transitions: Transition[] = [];
    const actions: InterlockAction[] = [];
    const a = this.config.actions;
    if (this.current === 'normal' || this.current === 'warning') {
      const conditions = this.conditions(nowMs);
      const worst = conditions[0];
      if (worst?.level === 'dangerous') {
        transitions.push({ from: this.current, to: 'dangerous', atMs: nowMs, cause: worst, reason: describe(worst) });
        this.current = 'dangerous';
        this.warningActions = new Set();
        this.relayDeadlineMs = nowMs + a.dangerous.relayOpenDelayMs;
        actions.push({ kind: 'pcs_off', reason: `dangerous: ${describe(worst)}` });
        if (Object.keys(a.dangerous.outputs).length > 0) actions.push({ kind: 'outputs', outputs: a.dangerous.outputs, reason: 'dangerous: outputs' });
      } else if (worst?.level === 'warning') {
        if (this.current === 'normal') transitions.push({ from: 'normal', to: 'warning', atMs: nowMs, cause: worst, reason: describe(worst) });
        this.current = 'warning';
        for (const c of conditions) {
          const name = this.config.rules.find((r) => r.id === c.rule)?.onWarning;
          if (name === undefined || this.warningActions.has(name)) continue;
          this.warningActions.add(name);
          const act = a.warning[name]!;
          if (act.outputs) actions.push({ kind: 'outputs', outputs: act.outputs, reason: `warning action ${name}: ${describe(c)}` });
          if (act.pcsSetpoint) actions.push({ kind: 'pcs_setpoint', setpoint: act.pcsSetpoint, reason: `warning action ${name}: ${describe(c)}` });
        }
      } else if (this.current === 'warning') {
        transitions.push({ from: 'warning', to: 'normal', atMs: nowMs, cause: undefined, reason: 'every condition cleared' });
        this.current = 'normal';
        this.warningActions = new Set();
        if (Object.keys(a.normal.outputs).length > 0) actions.push({ kind: 'outputs', outputs: a.normal.outputs, reason: 'normal: outputs' });
      }
    }
    if (this.current === 'dangerous' && this.relayDeadlineMs !== undefined && nowMs >= this.relayDeadlineMs) {
      actions.push({ kind: 'outputs', outputs: Object.fromEntries(a.dangerous.openRelays.map((r) => [r, false])), reason: 'dangerous: relays open' });
      transitions.push({ from: 'dangerous', to: 'safe', atMs: nowMs, cause: undefined, reason: `PCS off and relays open requested (${a.dangerous.relayOpenDelayMs} ms after PCS off; each write is reported as an action event and retried until it succeeds); latched until rig.reset_latch` });
      this.current = 'safe';
      this.relayDeadlineMs = undefined;
      actions.push({ kind: 'pcs_off', reason: 'safe: PCS off' });
      if (Object.keys(a.safe.outputs).length > 0) actions.push({ kind: 'outputs', outputs: a.safe.outputs, reason: 'safe: outputs' });
    }
    return { transitions, actions };
  }
}

function kindOf(input: string): InputKind {
  return input.startsWith('bmu:') ? 'bmu' : (input as InputKind);
}

/** `max_cell_voltage_v of bmu:3 = 4.25 ≥ dangerous 4.2 (rule cell_voltage_high)`. */
export function describe(c: Condition): string {
  if (c.stale) return c.quantity === '*' ? `${c.input} silent (nothing for more than ${c.limit} ms)` : `${c.quantity} of ${c.input} stale (no value for more than ${c.limit} ms)`;
  return `${c.quantity} of ${c.input} = ${c.value ?? '?'} past ${c.level} ${c.limit} (rule ${c.rule}${c.latched ? ', latched' : ''})`;
}
