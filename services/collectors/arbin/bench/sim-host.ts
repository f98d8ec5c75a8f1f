/**
 * Bench helper, run as a separate process so the simulated cyclers do not share the collector's
 * event loop: starts `count` Arbin CTI simulators of `channels` channels each on loopback and prints
 * their ports as one JSON line; exits when stdin closes.
 * Usage: tsx --conditions=@busbar/source bench/sim-host.ts <count> <channels> <username> <password>
 */
import { startArbinSimulator } from '@busbar/driver-arbin-cti';
import type { ArbinSimulator } from '@busbar/driver-arbin-cti';

const [count = '1', channels = '64', username = 'bench', password = 'bench'] = process.argv.slice(2);
const sims: ArbinSimulator[] = [];
for (let i = 0; i < Number(count); i++) sims.push(await startArbinSimulator({ channels: Number(channels), username, password, tickMs: 500 }));
process.stdout.write(`${JSON.stringify(sims.map((s) => s.port))}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all(sims.map((s) => s.close())).then(() => process.exit(0));
});
