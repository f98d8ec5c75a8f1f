/**
 * The Maccor types of `@busbar/actions` this collector uses, re-exported in one place.
 */
export type { MaccorCommandRunner, MaccorDeviceConfig, MaccorOperation } from '@busbar/actions';
