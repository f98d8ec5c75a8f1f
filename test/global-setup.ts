/**
 * Vitest global setup of the `integration` project: placeholder until @busbar/testkit lands.
 */
export default function setup(): void {}
