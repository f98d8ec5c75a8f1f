/**
 * Runs the poll plan (poll-plan.ts) of one tester on the client of its current session: the bulk
 * reads, then the round-robin (4,7)/(4,4) slice; keeps every channel's latest details across polls
 * and sessions (one poller per tester, created by the module). Poll requests are queued with
 * `poll` priority, so a command waits for at most the one request in flight (Maccor MacNet reference §12).
 */
import type { Clock, Metrics } from '@busbar/core';
import { systemClock } from '@busbar/core';
import type { MaccorClient } from '@busbar/driver-maccor-macnet';
import { DetailCursor, planPoll } from './poll-plan.js';
import type { PollPlan } from './poll-plan.js';
import type { ChannelDetail, TesterPoll } from './records.js';
import type { MaccorDeviceConfig } from './device-config.js';

const channelKey = /^(\d{1,5})(?:-(\d{1,5}))?$/;

/** Channels with `aux: true` in `channelSettings` (keys `"n"` or `"a-b"`). */
export function auxChannelsOf(device: MaccorDeviceConfig): number[] {
  const out: number[] = [];
  for (const [key, s] of Object.entries(device.channelSettings)) {
    const m = channelKey.exec(key);
    if (!m || !s.aux) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out.sort((x, y) => x - y);
}

/** The plan of a configured device. */
export function planOf(device: MaccorDeviceConfig): PollPlan {
  return planPoll({ channels: device.channels, pollIntervalMs: device.pollIntervalMs, requestCostMs: device.requestCostMs, budgetFraction: device.pollBudgetFraction, auxChannels: auxChannelsOf(device) });
}

/** Polls one tester (see module doc). */
export class TesterPoller {
  /** The plan in force. */
  readonly plan: PollPlan;
  private readonly cursor: DetailCursor;
  private readonly aux: ReadonlySet<number>;
  private readonly details = new Map<number, ChannelDetail>();
  private readonly m;

  /**
   * @param device - the configuration.
   * @param metrics - for the plan gauges and poll durations.
   * @param clock - time source of the details' age.
   */
  constructor(private readonly device: MaccorDeviceConfig, metrics: Metrics, private readonly clock: Clock = systemClock) {
    this.plan = planOf(device);
    this.aux = new Set(auxChannelsOf(device));
    this.cursor = new DetailCursor(device.channels, this.aux);
    this.m = {
      planned: metrics.gauge({ name: 'busbar_maccor_poll_planned_requests', help: 'Requests one poll of the tester is planned to take (bulk + per-channel detail).', labelNames: ['device'] }),
      budget: metrics.gauge({ name: 'busbar_maccor_poll_budget_seconds', help: 'Time a poll may take: pollIntervalMs × pollBudgetFraction.', labelNames: ['device'] }),
      cycle: metrics.gauge({ name: 'busbar_maccor_detail_cycle_seconds', help: 'Time until every channel\'s (4,7) details were read once, at the planned rate.', labelNames: ['device'] }),
      overruns: metrics.counter({ name: 'busbar_maccor_poll_budget_overruns_total', help: 'Polls that took longer than their budget (or whose minimal plan does not fit it).', labelNames: ['device', 'why'] }),
      duration: metrics.histogram({ name: 'busbar_maccor_poll_seconds', help: 'Duration of one tester poll (bulk + detail requests).', labelNames: ['device'] }),
    };
    const labels = { device: device.id };
    this.m.planned.set(labels, this.plan.plannedRequests);
    this.m.budget.set(labels, this.plan.budgetMs / 1000);
    this.m.cycle.set(labels, (this.plan.detailCyclePolls * device.pollIntervalMs) / 1000);
  }

  /**
   * Reads one poll's worth (plan slice), or with `allDetails` every channel's details (test mode),
   * on `client` (the current session's; poll requests have `poll` priority, so commands go first).
   *
   * @throws the driver's errors.
   */
  async poll(client: MaccorClient, allDetails = false): Promise<TesterPoll> {
    const started = this.clock.nowMs();
    const n = this.device.channels;
    const statuses = await client.readStatuses(1, n);
    const voltages = new Map((await client.readVoltages(1, n)).map((v) => [v.channel, v.value]));
    const currents = new Map((await client.readCurrents(1, n)).map((v) => [v.channel, v.value]));
    const testTimes = new Map((await client.readTestTimes(1, n)).map((v) => [v.channel, v.value]));
    const detailChannels = allDetails ? Array.from({ length: n }, (_, i) => i + 1) : this.cursor.take(this.plan.detailRequestsPerPoll);
    for (const ch of detailChannels) {
      const reading = await client.readChannel(ch);
      const aux = this.aux.has(ch) ? await client.readAux(ch) : undefined;
      this.details.set(ch, { reading, aux, atMs: this.clock.nowMs() });
    }
    const tookMs = this.clock.nowMs() - started;
    this.m.duration.observe({ device: this.device.id }, tookMs / 1000);
    if (this.plan.overBudget) this.m.overruns.inc({ device: this.device.id, why: 'plan' });
    else if (tookMs > this.plan.budgetMs) this.m.overruns.inc({ device: this.device.id, why: 'measured' });
    return { statuses, voltages, currents, testTimes, details: this.details, detailChannels };
  }
}
