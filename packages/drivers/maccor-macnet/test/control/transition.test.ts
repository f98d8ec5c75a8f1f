import { describe, expect, it } from 'vitest';
import { channelStateTransition } from '../../src/control/transition.js';
import type { ChannelStateSample, ChannelTransitionKind } from '../../src/control/transition.js';

const idle: ChannelStateSample = { stat: 0, rf1: 0, rf2: 0 };
const running: ChannelStateSample = { stat: 2, rf1: 1, rf2: 0, step: 1, cycle: 0 };

describe('Control > channelStateTransition', () => {
  const table: [string, ChannelStateSample | undefined, ChannelStateSample, ChannelTransitionKind][] = [
    ['first sample', undefined, idle, 'initial'],
    ['no change', idle, idle, 'none'],
    ['idle → active', idle, running, 'started'],
    ['completed → active', { stat: 4, rf1: 31, rf2: 193 }, running, 'started'],
    ['active → completed, normal end', running, { stat: 4, rf1: 31, rf2: 193 }, 'completed'],
    ['active → completed by safety voltage', running, { stat: 4, rf1: 31, rf2: 190 }, 'safety_stop'],
    ['active → problem, voltage safety', running, { stat: 5, rf1: 29, rf2: 197 }, 'safety_stop'],
    ['active → problem, lost current control', running, { stat: 5, rf1: 29, rf2: 254 }, 'fault'],
    ['active → power fail', running, { stat: 9, rf1: 0, rf2: 0 }, 'fault'],
    ['active → suspended by operator/watchdog', running, { stat: 3, rf1: 30, rf2: 192 }, 'suspended'],
    ['suspended → active', { stat: 3, rf1: 30, rf2: 192 }, running, 'resumed'],
    ['completed → available (reset)', { stat: 4, rf1: 31, rf2: 193 }, idle, 'reset'],
    ['step advance while running', running, { ...running, step: 2 }, 'step_changed'],
    ['RF1 change while running', running, { ...running, rf1: 4 }, 'changed'],
  ];
  for (const [name, prev, next, kind] of table) {
    it(`${name} → ${kind}`, () => {
      expect(channelStateTransition(prev, next).kind).toBe(kind);
    });
  }
  it('reports names for messages', () => {
    expect(channelStateTransition(running, { stat: 5, rf1: 29, rf2: 197 })).toEqual({ kind: 'safety_stop', from: 'running', to: 'fault', stat_name: 'Problem', reason: 'P: voltage safety <pk' });
  });
});
