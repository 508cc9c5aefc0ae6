// Regenerates docs/errors.md from the error registry.
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../packages/cutover/src/errors/render-error-docs.ts';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
