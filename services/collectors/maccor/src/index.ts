/** `@busbar/collector-maccor` (private): being wired. */
export {};
