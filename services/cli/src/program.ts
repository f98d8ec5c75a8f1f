/**
 * The `busbar` command line (commander.js): every subcommand and option, with `--help` on each.
 *
 *   busbar command send --device D --action A [--param k=v]... [--key FILE --key-id ID] [--wait [--timeout S]]
 *   busbar tail <topic> [--from-beginning] [--max N] [--timeout S]
 *   busbar schema [name] [--json]
 *   busbar topics create [...]          (busbar-topics create)
 *   busbar config check FILE [--service NAME]
 *   busbar alert list [--firing] [--since 24h]
 *   busbar alert ack <alert-id> --by WHO [--comment TEXT] [--wait [--timeout-s S]]
 *   busbar silence add --matcher 'rack="r3"'... (--duration 2h | --until ISO) [--starts ISO] --by WHO --comment WHY [--id ID]
 *   busbar silence list [--all]
 *   busbar silence expire <id>
 *
 * Kafka subcommands take `--config FILE` (any service's file: `kafka:` and `topics:`) and/or
 * `--brokers host:port,...`; `BUSBAR_*` environment overrides apply as for the services.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ALERT_CONTROL_TOPIC, DEFAULT_SILENCES_TOPIC } from '@busbar/alert-control';
import { isBusbarError } from '@busbar/core';
import { runTopicsCli } from '@busbar/topics';
import { ackAlert, listAlerts } from './alert.js';
import { SERVICES, checkConfig } from './config-check.js';
import type { CliIo } from './io.js';
import { EXIT } from './io.js';
import { printSchemas } from './schema.js';
import { sendCommand } from './send.js';
import { addSilence, expireSilence, listSilences, parseDurationMs } from './silence.js';
import { tail } from './tail.js';

function positive(what: string, integer: boolean) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`${what} must be a positive ${integer ? 'integer' : 'number'}`);
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const EXIT_HELP = `
Exit codes: 0 done (EXECUTED, or ACCEPTED for a dry run; or sent, without --wait); 1 REJECTED, FAILED or
EXPIRED (the result is printed), or Kafka failed; 2 usage or configuration error; 3 no result within --timeout.`;

function kafkaOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'a Busbar service configuration file: its kafka: and topics: sections are used (default $BUSBAR_CONFIG)')
    .option('--brokers <list>', 'bootstrap brokers host:port,... (over --config and BUSBAR_KAFKA__BROKERS)');
}

/**
 * Builds the program; `run` sets `exitCode` for the caller.
 *
 * @param io - output and environment (tests pass their own).
 */
export function createProgram(io: CliIo, exit: { code: number }): Command {
  const program = new Command('busbar')
    .description('Busbar from a shell: send signed commands and see their results, acknowledge alerts, manage silences, tail topics, print schemas, create topics, check configuration files.\nThe services themselves run as busbar-<service> (busbar-commander, busbar-historian, ...).')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .exitOverride()
    .showHelpAfterError();

  const command = program.command('command').description('commands to devices (through the commander)');
  kafkaOptions(command.command('send'))
    .description('build a command, sign it, publish it on the commands topic; with --wait, print its result')
    .requiredOption('-d, --device <id>', 'target device id (as in the device file)')
    .requiredOption('-a, --action <name>', 'action, e.g. modbus.write, arbin.start')
    .option('--channel <n>', '1-based device channel', positive('--channel', true))
    .option('-p, --param <name=value>', 'a parameter (repeat): true/false, null, numbers typed; NAME:=TEXT keeps text', collect, [])
    .option('--issuer <name>', 'issuer written in the command (default $BUSBAR_ISSUER, else the user name)')
    .option('-k, --key <file>', 'signing key: Ed25519 private key PEM or HMAC-SHA256 secret file (default $BUSBAR_COMMAND_KEY)')
    .option('--key-id <id>', 'the key id the commander\'s policy gives this key (default $BUSBAR_COMMAND_KEY_ID)')
    .option('--lifetime <s>', 'seconds until the command expires', positive('--lifetime', false), 300)
    .option('--dry-run', 'validate only (the commander answers ACCEPTED or REJECTED, writes nothing)', false)
    .option('--command-id <id>', 'command id (default a new UUID)')
    .option('-w, --wait', 'wait for the result and print it', false)
    .option('-t, --timeout <s>', 'with --wait: seconds to wait for the result', positive('--timeout', false), 30)
    .addHelpText('after', `${EXIT_HELP}\n\nExample:\n  busbar command send --brokers 127.0.0.1:9092 --device psu-1 --action modbus.write \\\n    --param point=voltage_setpoint_v --param value=12 --key alice.pem --key-id alice-2026 --wait`)
    .action(async (o: { device: string; action: string; channel?: number; param: string[]; issuer?: string; key?: string; keyId?: string; lifetime: number; dryRun: boolean; commandId?: string; wait: boolean; timeout: number; config?: string; brokers?: string }) => {
      exit.code = await sendCommand({ ...o, lifetimeS: o.lifetime, timeoutS: o.timeout }, io);
    });

  kafkaOptions(program.command('tail'))
    .description('print a topic\'s records as JSON lines (Avro decoded; dates ISO 8601, bytes hex)')
    .argument('<topic>', 'a topic name, or a role: readings, device-events, commands, device-commands, command-results, alerts, dead-letter')
    .option('--from-beginning', 'start at the oldest record (default: only new records)', false)
    .option('-n, --max <n>', 'stop after n records', positive('--max', true))
    .option('-t, --timeout <s>', 'stop after s seconds', positive('--timeout', false))
    .action(async (topic: string, o: { fromBeginning: boolean; max?: number; timeout?: number; config?: string; brokers?: string }) => {
      exit.code = await tail(topic, { ...o, timeoutS: o.timeout }, io);
    });

  program.command('schema')
    .description('print the Avro schemas with their single-object header bytes in wire order (and the fingerprint as a number)')
    .argument('[name]', 'one schema: Reading, DeviceEvent, Command, CommandResult, Alert, DeadLetter (its JSON is printed too)')
    .option('--json', 'one JSON object per schema', false)
    .action((name: string | undefined, o: { json: boolean }) => {
      exit.code = printSchemas(name, o.json, io);
    });

  program.command('topics')
    .description('create or correct the Kafka topics Busbar uses (busbar topics create --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'busbar-topics arguments: create [--config FILE] [--brokers ...] ...')
    .action(async (args: string[]) => {
      exit.code = await runTopicsCli(args, io.env, { out: io.out, err: io.err });
    });

  const alert = program.command('alert').description('alerts of the alerter (docs/alerting.md)');
  kafkaOptions(alert.command('ack'))
    .description('acknowledge a firing alert episode: an ack record on the alert-control topic; the alerter publishes its ACKNOWLEDGED alert, which stops repeats and escalations')
    .argument('<alert-id>', 'the episode\'s alert_id (in the mail, the webhook payload, busbar tail alerts)')
    .requiredOption('--by <who>', 'who acknowledges (≤ 256 characters)')
    .option('--comment <text>', 'why, or what is being done (≤ 1024 characters)')
    .option('-w, --wait', 'wait for the ACKNOWLEDGED alert on the alerts topic and print it', false)
    .option('--timeout-s <s>', 'with --wait: seconds to wait', positive('--timeout-s', false), 30)
    .option('--control-topic <name>', 'the alert-control topic (the alerter\'s acks.topic)', DEFAULT_ALERT_CONTROL_TOPIC)
    .addHelpText('after', `
Exit codes: 0 written (with --wait: the ACKNOWLEDGED alert is printed); 1 no ACKNOWLEDGED alert within
--timeout-s (the alerter ignores an id that does not fire now: unknown, or RESOLVED already), no
alert-control topic, or Kafka failed; 2 usage or configuration error.

Example:
  busbar alert ack 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 --brokers 127.0.0.1:9092 --by alice --comment 'fan replaced' --wait`)
    .action(async (alertId: string, o: { by: string; comment?: string; wait: boolean; timeoutS: number; controlTopic: string; config?: string; brokers?: string }) => {
      exit.code = await ackAlert({ ...o, alertId }, io);
    });

  kafkaOptions(alert.command('list'))
    .description('print the alert episodes of the alerts topic\'s recent records as JSON lines (alert_id, rule, device, last state and severity, first_at, last_at, message)')
    .option('--firing', 'only open episodes (last state FIRING or ACKNOWLEDGED)', false)
    .option('--since <d>', 'how far back to read: 30m, 24h, 7d (episodes that began earlier show from their first record inside)', '24h')
    .action(async (o: { firing: boolean; since: string; config?: string; brokers?: string }) => {
      exit.code = await listAlerts({ ...o, sinceS: parseDurationMs(o.since, '--since') / 1000 }, io);
    });

  const silence = program.command('silence').description('silences of the alerter\'s own channels, on the compacted silences topic (docs/alerting.md)');
  const silencesTopic = (cmd: Command): Command => kafkaOptions(cmd).option('--silences-topic <name>', 'the silences topic (the alerter\'s routing.silences.topic)', DEFAULT_SILENCES_TOPIC);
  silencesTopic(silence.command('add'))
    .description('silence the alerts whose labels match every --matcher, from --starts (default now) for --duration or until --until; prints the silence id')
    .option('-m, --matcher <matcher>', 'a label matcher in Alertmanager syntax (repeat; all must hold): rack="r3", severity=~"warning|critical", alertname!=pcs-off', collect, [])
    .option('-d, --duration <d>', 'how long from the start: 30m, 2h, 1h30m, 1d (units ms s m h d w)')
    .option('--until <iso>', 'the end, ISO 8601 with a zone (2026-12-03T20:00Z)')
    .option('--starts <iso>', 'the start, ISO 8601 with a zone (default now)')
    .requiredOption('--by <who>', 'who silences (≤ 256 characters)')
    .requiredOption('--comment <why>', 'why (≤ 1024 characters)')
    .option('--id <id>', 'the silence id (default a new UUID); an existing id is replaced')
    .addHelpText('after', `
Exit codes: 0 written (the id is printed); 1 no silences topic (the alerter creates it when
routing.silences is configured), or Kafka failed; 2 usage error (a bad matcher, duration or date, an end
not after the start) — nothing is written.

Example:
  busbar silence add --brokers 127.0.0.1:9092 --matcher 'rack="r3"' --duration 2h --by alice --comment 'rack r3 maintenance'`)
    .action(async (o: { matcher: string[]; duration?: string; until?: string; starts?: string; by: string; comment: string; id?: string; silencesTopic: string; config?: string; brokers?: string }) => {
      exit.code = await addSilence(o, io);
    });
  silencesTopic(silence.command('list'))
    .description('print the silences as JSON lines (id, status, matchers, starts_at, ends_at, created_by, comment): pending and active ones, or all')
    .option('-a, --all', 'expired ones too', false)
    .action(async (o: { all: boolean; silencesTopic: string; config?: string; brokers?: string }) => {
      exit.code = await listSilences(o, io);
    });
  silencesTopic(silence.command('expire'))
    .description('end a silence now (its record is written again with ends_at = now; list --all still shows it)')
    .argument('<id>', 'the silence id (busbar silence list)')
    .action(async (id: string, o: { silencesTopic: string; config?: string; brokers?: string }) => {
      exit.code = await expireSilence(id, o, io);
    });

  const config = program.command('config').description('configuration files');
  config.command('check')
    .description('validate a service\'s configuration file as the service does at start (environment overrides included)')
    .argument('<file>', 'the configuration file')
    .addOption(new Option('-s, --service <name>', 'the service it configures (default: guessed from the file name)').choices(SERVICES))
    .action(async (file: string, o: { service?: string }) => {
      exit.code = await checkConfig(file, o.service, io);
    });
  return program;
}

/**
 * Runs the command line.
 *
 * @param argv - the arguments after `node busbar` (process.argv.slice(2)).
 * @returns the exit code (see `busbar command send --help`).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const exit = { code: EXIT.ok as number };
  const program = createProgram(io, exit);
  for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) c.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // --help, or a usage error already printed
    if (isBusbarError(err) && err.code.startsWith('BB_CONFIG_')) {
      io.err(`busbar: ${err.message}`);
      return EXIT.usage;
    }
    if (isBusbarError(err) && err.code === 'BB_COMMAND_KEY_UNUSABLE') {
      io.err(`busbar: ${err.message}`);
      return EXIT.usage;
    }
    io.err(`busbar: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
  return exit.code;
}
