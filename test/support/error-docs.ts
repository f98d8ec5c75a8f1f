/**
 * The error-code reference (docs/errors.md) is rendered from the packages' `ERROR_CODES`
 * catalogues: `npx tsx --conditions=@busbar/source scripts/gen-error-docs.ts` writes it, and
 * test/docs/errors.test.ts fails when the file and the catalogues disagree.
 */
import type { ErrorCatalogue } from '@busbar/core';
import { ERROR_CODE_PATTERN, ERROR_CODES as core } from '@busbar/core';
import { ERROR_CODES as runtime } from '@busbar/runtime';
import { ERROR_CODES as kafka } from '@busbar/kafka';
import { ERROR_CODES as avro } from '@busbar/avro';
import { ERROR_CODES as safety } from '@busbar/safety';
import { ERROR_CODES as commands } from '@busbar/commands';
import { ERROR_CODES as testkit } from '@busbar/testkit';
import { ERROR_CODES as modbus } from '@busbar/driver-modbus';
import { ERROR_CODES as arduinoIo } from '@busbar/driver-arduino-io';
import { ERROR_CODES as arbin } from '@busbar/driver-arbin-cti';
import { ERROR_CODES as maccor } from '@busbar/driver-maccor-macnet';
import { ERROR_CODES as corus } from '@busbar/driver-itron-corus';
import { ERROR_CODES as can } from '@busbar/driver-can';
import { ERROR_CODES as basytec } from '@busbar/driver-basytec';
import { ERROR_CODES as alerter } from '@busbar/alerter';
import { ERROR_CODES as alertControl } from '@busbar/alert-control';
import { ERROR_CODES as historian } from '@busbar/historian';
import { ERROR_CODES as collectorKit } from '@busbar/collector-kit';
import { ERROR_CODES as moduleArbin } from '@busbar/module-arbin';
import { ERROR_CODES as moduleCorus } from '@busbar/module-corus';
import { ERROR_CODES as moduleMaccor } from '@busbar/module-maccor';
import { ERROR_CODES as moduleBasytec } from '@busbar/module-basytec';
import { ERROR_CODES as moduleSafetyRig } from '@busbar/module-safety-rig';

/** Every catalogue, by the package that raises its codes. */
export const CATALOGUES: ReadonlyArray<readonly [string, ErrorCatalogue]> = [
  ['@busbar/core', core],
  ['@busbar/runtime', runtime],
  ['@busbar/kafka', kafka],
  ['@busbar/avro', avro],
  ['@busbar/safety', safety],
  ['@busbar/commands', commands],
  ['@busbar/driver-modbus', modbus],
  ['@busbar/driver-arduino-io', arduinoIo],
  ['@busbar/driver-arbin-cti', arbin],
  ['@busbar/driver-maccor-macnet', maccor],
  ['@busbar/driver-itron-corus', corus],
  ['@busbar/module-corus', moduleCorus],
  ['@busbar/module-arbin', moduleArbin],
  ['@busbar/module-maccor', moduleMaccor],
  ['@busbar/module-safety-rig', moduleSafetyRig],
  ['@busbar/driver-can', can],
  ['@busbar/driver-basytec', basytec],
  ['@busbar/module-basytec', moduleBasytec],
  ['@busbar/collector-kit', collectorKit],
  ['@busbar/historian', historian],
  ['@busbar/alerter', alerter],
  ['@busbar/alert-control', alertControl],
  ['@busbar/testkit', testkit],
];

function meaningOf(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  const d = doc as { meaning?: string; description?: string; message?: string };
  return d.meaning ?? d.description ?? d.message ?? '';
}

/** Renders docs/errors.md. */
export function renderErrorDocs(): string {
  const lines = [
    '# Error codes',
    '',
    'Every error Busbar raises, logs, counts in a metric (`code` label) or puts in a `CommandResult.reason_code`',
    'or `DeadLetter.error_code` has a stable code `BB_<AREA>_<REASON>`. This page is generated from the',
    "packages' `ERROR_CODES` catalogues (`npx tsx --conditions=@busbar/source scripts/gen-error-docs.ts`);",
    'a test fails when they disagree.',
    '',
  ];
  for (const [pkg, catalogue] of CATALOGUES) {
    lines.push(`## ${pkg}`, '', '| code | meaning |', '| --- | --- |');
    for (const [code, doc] of Object.entries(catalogue).sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`| \`${code}\` | ${meaningOf(doc).replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim()} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** All codes with the package raising each; codes that break the pattern are reported. */
export function allCodes(): { code: string; pkg: string; valid: boolean }[] {
  return CATALOGUES.flatMap(([pkg, c]) => Object.keys(c).map((code) => ({ code, pkg, valid: ERROR_CODE_PATTERN.test(code) })));
}
