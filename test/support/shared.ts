/**
 * Locates `../shared` (vectors, fixtures) beside the checkout. CI places it there; `SHARED_DIR`
 * overrides. Tests read vectors from this path, never from a copy.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env.SHARED_DIR ? resolve(process.env.SHARED_DIR) : resolve(repoRoot, '..', 'shared');
export const fixturesDir = join(sharedDir, 'fixtures', 'uid2-local');
export const localConfigPath = join(fixturesDir, 'conf', 'local-config.json');
/** `node --import` this to run TypeScript sources, in every thread (scripts/ts-loader.mjs). */
export const tsLoader = join(repoRoot, 'scripts', 'ts-loader.mjs');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let cached: any;
/** The parsed `vectors/uid2-vectors.json`. Typed loosely: each test reads the fields it checks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadVectors(): any {
  cached ??= JSON.parse(readFileSync(join(sharedDir, 'vectors', 'uid2-vectors.json'), 'utf8'));
  return cached;
}
