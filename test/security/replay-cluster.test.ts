/**
 * Replay protection across a `uid2 operator --workers 2` cluster (issue 7): connections are spread
 * over the workers, so the same envelope sent on fresh connections reaches both; the guard held
 * by the primary must still admit it exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { REPLAY_MESSAGE } from '../../src/operator/http/replay-guard.ts';
import { CLIENTS } from '../operator/support/operator-fixture.ts';
import { fixturesDir, localConfigPath, repoRoot } from '../support/shared.ts';

/** One POST on its own TCP connection (no keep-alive pool), so the cluster may pick any worker. */
function postFresh(port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v2/token/generate', agent: false, headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'text/plain', connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a replayed envelope is refused whichever worker it reaches', { timeout: 120_000 }, async (t) => {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), 'operator', '--data', fixturesDir, '--config', localConfigPath, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', '--workers', '2'], {
    env: { ...process.env, enable_v2_encryption: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`operator did not start: ${out}`)), 100_000);
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => reject(new Error(`operator exited: ${out}`)));
  });
  assert.match(out, /2 workers/);

  const secret = Buffer.from(CLIENTS.special.secret, 'base64');
  const envelope = encodeRequestEnvelope(secret, { nowMs: Date.now(), payload: JSON.stringify({ email: 'cluster-replay@example.com' }) }).toString('base64');
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await postFresh(port, envelope));
  assert.equal(answers.filter((a) => a.status === 200).length, 1, 'admitted exactly once');
  for (const a of answers.filter((x) => x.status !== 200)) {
    assert.equal(a.status, 400);
    assert.deepEqual(JSON.parse(a.body), { status: 'client_error', message: REPLAY_MESSAGE });
  }
  // Fresh envelopes are still served by the cluster.
  const fresh = encodeRequestEnvelope(secret, { nowMs: Date.now(), payload: JSON.stringify({ email: 'cluster-replay@example.com' }) }).toString('base64');
  assert.equal((await postFresh(port, fresh)).status, 200);
  child.kill('SIGTERM');
});
