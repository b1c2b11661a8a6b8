/**
 * Regenerates the "Messages by route" tables of docs/errors.md from the operator's per-route error
 * catalogue (src/operator/route-errors.ts): `npm run docs:errors`. The tables sit between two
 * marker comments; everything else in the document is written by hand.
 * test/operator/errors-doc.test.ts fails when the committed document differs from this output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRouteErrors } from '../src/operator/route-errors.ts';

export const BEGIN_MARKER = '<!-- generated from src/operator/route-errors.ts by `npm run docs:errors`: do not edit by hand -->';
export const END_MARKER = '<!-- end of generated tables -->';

export const ERRORS_DOC = join(fileURLToPath(new URL('..', import.meta.url)), 'docs', 'errors.md');

/** The document with its generated part replaced by the current rendering. */
export function regenerate(doc: string): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error('docs/errors.md lacks the generated-table markers');
  return `${doc.slice(0, begin + BEGIN_MARKER.length)}\n${renderRouteErrors()}${doc.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(ERRORS_DOC, 'utf8');
  const next = regenerate(current);
  if (next !== current) writeFileSync(ERRORS_DOC, next);
  process.stdout.write(next === current ? 'docs/errors.md is up to date\n' : 'docs/errors.md regenerated\n');
}
