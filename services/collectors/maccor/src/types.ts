/**
 * The Maccor types of `@busbar/actions` this collector uses, re-exported in one place.
 */
export type { MaccorBindingDeps, MaccorCommandRunner, MaccorDeviceConfig, MaccorOperation } from '@busbar/actions';
