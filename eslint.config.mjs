// Lint: TypeScript rules that catch async mistakes, plus the import boundaries of
// ../STYLE.md's layout: codecs stay pure, drivers never touch runtime/kafka/avro/pino/prom-client,
// packages never import services, nobody deep-imports another package's src/; no import cycles, and
// every workspace declares what it imports in its own package.json (devDependencies only in tests,
// benches and scripts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jsdoc from 'eslint-plugin-jsdoc';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const noDeep = { group: ['@busbar/*/src/*', '@busbar/*/dist/*'], message: 'Import a package through its public entry (@busbar/x).' };
// Files that may import devDependencies: tests, benches, scripts, the local demo stack and tool
// configuration. They may also use the root's toolchain (vitest, tsx...), its devDependencies.
// (testkit's global setup and shared-server helpers run only inside Vitest: vitest stays a devDependency,
// so it never reaches a production install such as the OCI image)
const devOnly = ['**/test/**', '**/bench/**', '**/scripts/**', 'deploy/**', '*.config.{ts,mjs}', 'packages/testkit/src/global-setup.ts', 'packages/testkit/src/shared/**'];
const rootDevDependencies = Object.keys(JSON.parse(readFileSync(join(import.meta.dirname, 'package.json'), 'utf8')).devDependencies);
const noTestkit = { group: ['@busbar/testkit'], message: 'testkit is for tests only.' };
const noServices = { group: ['**/services/**', '@busbar/service-*', '@busbar/collector-*', '!@busbar/collector-kit'], message: 'No package or service imports a service.' };
// In flat config the last matching block decides a rule's options for a file: every block below that
// sets no-restricted-imports for src/ files repeats these, so a specific block never drops them.
const srcBase = [noDeep, noTestkit, noServices];
const io = ['node:net', 'node:dgram', 'node:fs', 'node:fs/promises', 'node:child_process', 'net', 'dgram', 'fs', 'serialport', 'socketcan', 'modbus-serial', 'kafkajs', 'pino', 'prom-client'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/.venv/**', '.busbar/**', 'state/**', 'scripts/**/*.py', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [noDeep] }],
    },
  },
  {
    // Imports resolved as Node and Vitest resolve them: workspace packages through the `@busbar/source`
    // export condition to their TypeScript sources, relative `./x.js` to `./x.ts`.
    files: ['**/*.{ts,mjs}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          conditionNames: ['@busbar/source', 'types', 'import', 'node', 'default'],
          extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: devOnly, includeTypes: true }],
    },
  },
  {
    files: devOnly,
    rules: { 'import-x/no-extraneous-dependencies': ['error', { devDependencies: true, includeTypes: true, whitelist: rootDevDependencies }] },
  },
  {
    // Public API of packages and drivers: a docstring on every exported declaration.
    files: ['packages/**/src/**/*.ts'],
    plugins: { jsdoc },
    rules: {
      'jsdoc/require-jsdoc': ['error', { publicOnly: true, require: { FunctionDeclaration: true, ClassDeclaration: true, MethodDefinition: false }, contexts: ['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'ExportNamedDeclaration > VariableDeclaration'] }],
    },
  },
  {
    files: ['packages/**/src/**/*.ts', 'services/**/src/**/*.ts'],
    ignores: ['packages/testkit/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: srcBase }] },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/*'], message: '@busbar/core imports no Busbar package.' }], paths: io.map((name) => ({ name, message: 'core does no I/O.' })) }] },
  },
  {
    files: ['packages/drivers/*/src/codec/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/*', '!@busbar/core'], message: 'A codec imports @busbar/core only.' }, { group: ['**/client/**', '**/simulator/**'], message: 'A codec is pure.' }], paths: io.map((name) => ({ name, message: 'A codec is pure: no I/O.' })) }] },
  },
  {
    files: ['packages/drivers/*/src/**/*.ts'],
    ignores: ['packages/drivers/*/src/codec/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/runtime', '@busbar/kafka', '@busbar/avro', '@busbar/testkit'], message: 'Drivers report through @busbar/core Logger/Metrics, never the service runtime.' }], paths: ['pino', 'prom-client', 'kafkajs'].map((name) => ({ name, message: 'Drivers never import pino, prom-client or kafkajs.' })) }] },
  },
  {
    files: ['packages/alert-control/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/*', '!@busbar/core'], message: 'alert-control holds pure record codecs: it imports @busbar/core only.' }], paths: io.map((name) => ({ name, message: 'alert-control is pure: no I/O.' })) }] },
  },
  {
    files: ['packages/{avro,kafka,safety}/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/runtime', '@busbar/testkit', '@busbar/driver-*'], message: 'avro, kafka and safety never import runtime, testkit or drivers.' }] }] },
  },
  {
    // The command life cycle and the protocol contract know no protocol and no service plumbing.
    files: ['packages/{commands,protocol}/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/runtime', '@busbar/kafka', '@busbar/testkit', '@busbar/driver-*', '@busbar/module-*', '@busbar/collector-kit', '@busbar/supervisor', '@busbar/actions'], message: 'commands and protocol import core, avro, safety (and protocol: commands) only: protocols plug in as modules.' }], paths: ['kafkajs', 'pino', 'prom-client'].map((name) => ({ name, message: 'commands and protocol never touch Kafka or the service runtime.' })) }] },
  },
  {
    // A protocol module never sleeps, reconnects or touches Kafka: the runtime does (docs/adding-a-protocol.md).
    files: ['packages/modules/*/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...srcBase, { group: ['@busbar/runtime', '@busbar/kafka', '@busbar/testkit', '@busbar/collector-kit', '@busbar/supervisor', '@busbar/actions', '@busbar/module-*'], message: 'A protocol module imports its driver, protocol, commands, safety, avro and core only.' }], paths: ['kafkajs', 'pino', 'prom-client'].map((name) => ({ name, message: 'A protocol module never touches Kafka or the service runtime.' })) }] },
  },
);
