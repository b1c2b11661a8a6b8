#!/usr/bin/env node
// Builds the optional native crypto addon (native/, see native/README.md) with node-gyp and loads
// it once to prove it works. Runs as the package's `install` script, so it must never fail an
// install: any problem is one line on stderr and exit 0, and the operator uses node:crypto.
// UID2_NATIVE=off skips the build entirely.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addonPath = join(nativeDir, 'build', 'Release', 'uid2_native.node');

function fallback(reason) {
  console.error(`uid2: native crypto not built (${reason}); using the pure-JS fallback`);
  process.exit(0);
}

/** node-gyp as [command, ...leading args]: npm's own, else a local one, else npm's bundled copy. */
function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const probe = spawnSync('npm', ['exec', '--no', '--', 'node-gyp', '--version'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (probe.status === 0) return ['npm', 'exec', '--no', '--', 'node-gyp'];
  // Global installs put npm at <prefix>/lib/node_modules/npm beside <prefix>/bin/node.
  const prefix = dirname(dirname(process.execPath));
  for (const npmDir of [join(prefix, 'lib', 'node_modules', 'npm'), join(prefix, 'node_modules', 'npm')]) {
    const script = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(script)) return [process.execPath, script];
  }
  return undefined;
}

/** Node's headers beside the running node, so node-gyp never tries to download them. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function main() {
  if (process.env.UID2_NATIVE === 'off') {
    console.error('uid2: native crypto skipped (UID2_NATIVE=off); using the pure-JS fallback');
    return;
  }
  const gyp = findNodeGyp();
  if (!gyp) fallback('node-gyp not found');
  const [command, ...lead] = gyp;
  const run = spawnSync(command, [...lead, 'rebuild', '--directory', nativeDir, ...nodedirArgs()], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.error) fallback(`node-gyp could not run: ${run.error.message}`);
  if (run.status !== 0) {
    const lines = `${run.stderr ?? ''}`.split('\n').filter((l) => /error/i.test(l));
    fallback(`node-gyp exited ${run.status}${lines.length ? `: ${lines[0].trim().slice(0, 160)}` : ''}`);
  }
  try {
    const addon = createRequire(import.meta.url)(addonPath);
    const version = addon.version();
    const key = new Uint8Array(32);
    const buf = new Uint8Array(12 + 4 + 16);
    addon.gcmSealInPlace(key, buf, 0, 4, null);
    const out = new Uint8Array(4);
    if (!addon.gcmOpenInto(key, buf.subarray(0, 12), buf.subarray(12), null, out)) throw new Error('self-test round trip failed');
    console.error(`uid2: native crypto built (${version})`);
  } catch (err) {
    fallback(`built but did not load: ${err instanceof Error ? err.message : String(err)}`);
  }
}

try {
  main();
} catch (err) {
  fallback(err instanceof Error ? err.message : String(err));
}
