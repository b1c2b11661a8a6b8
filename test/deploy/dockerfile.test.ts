/** The azure-cc Dockerfile and .dockerignore (spec attestation-azure.md §3.1), checked statically. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';

/** Instructions with line continuations joined, comments dropped. */
function instructions(path: string): Array<{ op: string; args: string }> {
  const text = readFileSync(path, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each stage, in order (a stage starts at its FROM). */
function stages(ins: Array<{ op: string; args: string }>): Array<Array<{ op: string; args: string }>> {
  const out: Array<Array<{ op: string; args: string }>> = [];
  for (const i of ins) {
    if (i.op === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

test('the azure-cc image: node 24 in every stage, compiled dist/ with production deps only, non-root, ports, health check, bootstrap', () => {
  const ins = instructions(join(repoRoot, 'deploy/azure-cc/Dockerfile'));
  const all = stages(ins);
  for (const stage of all) assert.match(stage[0].args, /^node:24-(alpine|slim)/, `stage base ${stage[0].args}`);
  const final = all.at(-1)!;
  const get = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);
  assert.equal(get('FROM')[0], 'node:24-alpine', 'the image itself has no stage name: it is the last stage');
  assert.ok(get('RUN').some((a) => /npm ci --omit=dev --ignore-scripts/.test(a)));
  assert.ok(!get('RUN').some((a) => /npm run build|\btsc\b|tsx/.test(a)), 'no compiling in the image');
  // The image gets the compiled build from the build stage, never the TypeScript sources.
  assert.ok(get('COPY').some((a) => /^--from=build \/build\/dist \.\/dist$/.test(a)));
  for (const args of get('COPY')) assert.ok(!/\bsrc\b|tsconfig/.test(args.replace(/^--from=\S+ /, '').split(/\s+/).slice(0, -1).join(' ')), `COPY ${args}`);
  const buildStage = all.find((st) => /\bAS build$/i.test(st[0].args))!;
  assert.ok(buildStage.some((i) => i.op === 'RUN' && /npm run build/.test(i.args)), 'the build stage compiles src/ with tsc');
  assert.deepEqual(get('USER'), ['1000:1000']);
  assert.deepEqual(get('EXPOSE'), ['8080 9080']);
  assert.match(get('HEALTHCHECK')[0], /\/ops\/healthcheck/);
  assert.deepEqual(JSON.parse(get('CMD')[0]), ['node', 'bin/uid2.mjs', 'bootstrap']);
  assert.match(readFileSync(join(repoRoot, 'bin/uid2.mjs'), 'utf8'), /\.\.\/dist\/cli\/main\.js/, 'bin/uid2.mjs runs the compiled CLI');
  // Everything the image copies from the build context exists in the repository.
  for (const args of ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from=')).map((i) => i.args)) {
    for (const src of args.split(/\s+/).slice(0, -1)) assert.ok(existsSync(join(repoRoot, src)), `COPY source ${src}`);
  }
  // The native addon is compiled in a builder stage and only its .node file reaches the image.
  assert.ok(ins.some((i) => i.op === 'RUN' && /build-native\.mjs && test -f native\/build\/Release\/uid2_native\.node/.test(i.args)));
  assert.ok(get('COPY').some((a) => /^--from=native .*uid2_native\.node/.test(a)));
  // USER comes after the last RUN that needs root.
  const lastRun = final.map((i) => i.op).lastIndexOf('RUN');
  assert.ok(final.findIndex((i) => i.op === 'USER') > lastRun);
});

test('.dockerignore keeps secrets, tests and node_modules out of the build context', () => {
  const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const entry of ['node_modules', 'dist', '.git', 'test', '.env', '**/*.pem']) assert.ok(ignored.includes(entry), entry);
  for (const kept of ['src', 'bin', 'package.json', 'package-lock.json']) assert.ok(!ignored.includes(kept), kept);
});

test('the SGX image starts the AESM entrypoint and the Occlum launcher', () => {
  const ins = instructions(join(repoRoot, 'deploy/sgx/Dockerfile'));
  assert.ok(ins.some((i) => i.op === 'ADD' && /uid2-operator\.tar\.gz/.test(i.args)));
  assert.deepEqual(JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')!.args), ['bash', '/root/entrypoint.sh']);
  assert.deepEqual(JSON.parse(ins.find((i) => i.op === 'CMD')!.args), ['occlum', 'run', '/bin/launcher']);
  assert.match(readFileSync(join(repoRoot, 'deploy/sgx/aesmd.conf'), 'utf8'), /default quoting type = ecdsa_256/);
});
