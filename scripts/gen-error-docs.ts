/** Writes docs/errors.md from the packages' ERROR_CODES catalogues (see test/support/error-docs.ts). */
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../test/support/error-docs.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
process.stdout.write('docs/errors.md written\n');
