/** `@busbar/collector-arbin` (private): being wired. */
export {};
