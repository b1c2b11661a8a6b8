/**
 * bench/bare-server.ts, the benchmark's reference: N worker threads serving one port with
 * reusePort, each answering any request with the fixed 200 body, over keep-alive connections.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChild } from '../../bench/child-process.ts';

const BARE = fileURLToPath(new URL('../../bench/bare-server.ts', import.meta.url));

function post(agent: Agent, port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/token/generate', method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('two reusePort threads serve one port; every request on every connection is answered', { skip: process.platform !== 'linux' }, async () => {
  const bare = await startChild(BARE, ['2']);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    assert.equal(bare.info.threads, 2);
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => post(agent, bare.info.port, 'x'.repeat(i * 10))));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(a.text, '{"status":"success"}');
    }
  } finally {
    agent.destroy();
    await bare.stop();
  }
});
