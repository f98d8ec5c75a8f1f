import { describe, expect, it } from 'vitest';
import { DetailCursor, planPoll } from '../src/poll-plan.js';

describe('planPoll', () => {
  it('fits 8 channels in one 1 s poll at 35 ms per request: 4 bulk + every (4,7)', () => {
    expect(planPoll({ channels: 8, pollIntervalMs: 1000, requestCostMs: 35, budgetFraction: 0.5, auxChannels: [] })).toEqual({
      bulkRequests: 4, detailRequestsPerPoll: 8, plannedRequests: 12, plannedMs: 420, budgetMs: 500, detailRoundRequests: 8, detailCyclePolls: 1, overBudget: false,
    });
  });

  it('spreads 256 channels over polls: 8 bulk requests, the rest of the budget for (4,7)', () => {
    const p = planPoll({ channels: 256, pollIntervalMs: 1000, requestCostMs: 35, budgetFraction: 0.5, auxChannels: [1, 2] });
    expect(p).toMatchObject({ bulkRequests: 8, detailRequestsPerPoll: 6, plannedRequests: 14, detailRoundRequests: 258, detailCyclePolls: 43, overBudget: false });
  });

  it('says overBudget when even the bulk reads and one (4,7) do not fit', () => {
    expect(planPoll({ channels: 512, pollIntervalMs: 500, requestCostMs: 35, budgetFraction: 0.5, auxChannels: [] })).toMatchObject({ bulkRequests: 16, detailRequestsPerPoll: 1, plannedMs: 595, budgetMs: 250, overBudget: true });
  });
});

describe('DetailCursor', () => {
  it('goes round-robin, an aux channel costing two requests, at least one channel per poll', () => {
    const c = new DetailCursor(5, new Set([2]));
    expect(c.take(3)).toEqual([1, 2]);
    expect(c.take(3)).toEqual([3, 4, 5]);
    expect(c.take(1)).toEqual([1]);
    expect(c.take(1)).toEqual([2]); // costs 2, but a poll always reads one channel
    expect(c.take(100)).toEqual([3, 4, 5, 1, 2]);
  });
});
