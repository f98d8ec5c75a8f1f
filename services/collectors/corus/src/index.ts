/** `@busbar/collector-corus` (private): being wired. */
export {};
