/**
 * The poll plan of one tester, pure. MacNet serves one request at a time, about 30-35 ms each,
 * serialized across every client (Maccor MacNet reference §1.6, §2), so a poll is budgeted:
 *
 * - every poll: the bulk reads (4,1) status, (4,2) voltages, (4,3) currents, (4,9) test times, one
 *   request each per 128 channels (reference §1.7, §12 "Polling budget");
 * - then, in the requests left in the budget, per-channel (4,7) reads (capacity, energy, step time,
 *   cycle, step, record number, tester time), plus (4,4) aux for channels with `aux: true`, taken
 *   round-robin so that every channel's details are refreshed once per {@link PollPlan.detailCyclePolls} polls.
 *
 * At least one (4,7) per poll is always planned; when even that does not fit the budget the plan
 * says `overBudget` (the collector counts it in `busbar_maccor_poll_budget_overruns_total`).
 */
import { MAX_CHANNELS_PER_READ } from '@busbar/driver-maccor-macnet';

/** Inputs of {@link planPoll}. */
export interface PollPlanInput {
  /** Channels polled: 1..channels. */
  readonly channels: number;
  readonly pollIntervalMs: number;
  /** Estimated service time of one request, ms. */
  readonly requestCostMs: number;
  /** Share (0..1] of the interval a poll may use. */
  readonly budgetFraction: number;
  /** 1-based channels whose aux inputs are read with (4,4). */
  readonly auxChannels: readonly number[];
}

/** What one poll costs. */
export interface PollPlan {
  /** (4,1), (4,2), (4,3), (4,9) requests per poll (4 per 128 channels). */
  readonly bulkRequests: number;
  /** Requests per poll available for (4,7)/(4,4) reads (≥ 1). */
  readonly detailRequestsPerPoll: number;
  /** Requests of a poll at most: bulk + detail. */
  readonly plannedRequests: number;
  /** plannedRequests × requestCostMs. */
  readonly plannedMs: number;
  /** pollIntervalMs × budgetFraction. */
  readonly budgetMs: number;
  /** Requests one full round of details takes (one (4,7) per channel plus one (4,4) per aux channel). */
  readonly detailRoundRequests: number;
  /** Polls until every channel's details were read once. */
  readonly detailCyclePolls: number;
  /** Whether even the minimal plan exceeds the budget. */
  readonly overBudget: boolean;
}

/** Sizes the plan (see module doc). */
export function planPoll(i: PollPlanInput): PollPlan {
  const bulkRequests = 4 * Math.ceil(i.channels / MAX_CHANNELS_PER_READ);
  const budgetMs = i.pollIntervalMs * i.budgetFraction;
  const budgetRequests = Math.floor(budgetMs / i.requestCostMs);
  const detailRoundRequests = i.channels + i.auxChannels.length;
  const detailRequestsPerPoll = Math.min(detailRoundRequests, Math.max(1 + (i.auxChannels.length > 0 ? 1 : 0), budgetRequests - bulkRequests));
  const plannedRequests = bulkRequests + detailRequestsPerPoll;
  const plannedMs = plannedRequests * i.requestCostMs;
  return {
    bulkRequests,
    detailRequestsPerPoll,
    plannedRequests,
    plannedMs,
    budgetMs,
    detailRoundRequests,
    detailCyclePolls: Math.ceil(detailRoundRequests / Math.max(1, detailRequestsPerPoll)),
    overBudget: plannedMs > budgetMs,
  };
}

/**
 * Round-robin choice of the channels whose details a poll reads: channels in order from where the
 * previous poll stopped, each costing 1 request (+1 with aux), at least one channel per poll.
 */
export class DetailCursor {
  private next = 1;

  /**
   * @param channels - 1..channels.
   * @param aux - channels whose (4,4) is read with their (4,7).
   */
  constructor(private readonly channels: number, private readonly aux: ReadonlySet<number>) {}

  /** The channels of the next poll within `requests`. */
  take(requests: number): number[] {
    const out: number[] = [];
    let used = 0;
    while (out.length < this.channels) {
      const cost = this.aux.has(this.next) ? 2 : 1;
      if (out.length > 0 && used + cost > requests) break;
      out.push(this.next);
      used += cost;
      this.next = this.next === this.channels ? 1 : this.next + 1;
    }
    return out;
  }
}
