/**
 * Channel numbering and multi-channel chunking.
 *
 * Users see the tester's 1-based channel numbers; `Chan` on the wire is 0-based (Maccor MacNet
 * reference §1.4, vendor help p.8). Multi-channel reads (4,1), (4,2), (4,3), (4,9) take at most
 * 128 channels per request (reference §6.3, vendor p.24). Pure.
 */
import { MaccorError } from '../errors.js';

/** Most channels one multi-channel read may ask for (reference §6.3). */
export const MAX_CHANNELS_PER_READ = 128;

/**
 * 1-based channel → 0-based wire `Chan`.
 * @param channel - tester channel number, 1..65535.
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when not an integer in 1..65535.
 */
export function channelToIndex0(channel: number): number {
  if (!Number.isInteger(channel) || channel < 1 || channel > 0xffff) {
    throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `channel must be an integer 1..65535 (1-based, as the tester shows it), got ${channel}`, { context: { channel } });
  }
  return channel - 1;
}

/** 0-based wire `Chan` → 1-based channel number. */
export function index0ToChannel(channelIndex0: number): number {
  return channelIndex0 + 1;
}

/** One multi-channel request: first 0-based channel and count (≤ 128). */
export interface ChannelSpan {
  /** First channel, 0-based (wire `Chan`). */
  readonly chanIndex0: number;
  /** Number of channels (wire `Len`), 1..128. */
  readonly len: number;
}

/**
 * Splits 1-based channels `first..first+count-1` into spans of at most 128 channels.
 * @throws MaccorError BB_MACCOR_INVALID_ARGUMENT when `first` or `count` is invalid.
 */
export function planChannelSpans(first: number, count: number): ChannelSpan[] {
  const start = channelToIndex0(first);
  if (!Number.isInteger(count) || count < 1) throw new MaccorError('BB_MACCOR_INVALID_ARGUMENT', `channel count must be an integer ≥ 1, got ${count}`, { context: { count } });
  const spans: ChannelSpan[] = [];
  for (let off = 0; off < count; off += MAX_CHANNELS_PER_READ) {
    spans.push({ chanIndex0: start + off, len: Math.min(MAX_CHANNELS_PER_READ, count - off) });
  }
  return spans;
}
