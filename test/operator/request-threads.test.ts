/**
 * The operator process with request threads (issue 16), through real sockets: a replay is caught
 * whichever thread it reaches; a full replay table answers 503, never 200; N threads answer as one;
 * a store swap under load switches every thread at one moment; a thread that dies is replaced and
 * no request waits; the metrics port merges every thread's counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startThreadedOperator, type ThreadedOperator } from '../../src/operator/operator-process.ts';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { fixturesDir } from '../support/shared.ts';
import { CLIENTS } from './support/operator-fixture.ts';

const secret = Buffer.from(CLIENTS.special.secret, 'base64');

function dataSet(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'uid2-threads-'));
  cpSync(fixturesDir, dir, { recursive: true });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dir: string, threads: number, flags: Record<string, string | number | boolean> = {}, logger = pino({ level: 'silent' })): Promise<ThreadedOperator> {
  return startThreadedOperator({
    threads,
    dataDir: dir,
    files: [join(dir, 'conf', 'local-config.json')],
    flags: { port: 0, metrics_port: 0, host: '127.0.0.1', enable_v2_encryption: true, pod_termination_file: '', salt_refresh_ms: 200, ...flags },
    env: {},
    logger,
  });
}

interface Reply {
  status: number;
  body: string;
}

/** One POST on `agent`'s connections (keep-alive: each connection stays with its thread). */
function post(port: number, path: string, body: string, agent: Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const envelope = (payload: unknown, nonce?: Buffer) => encodeRequestEnvelope(secret, { nowMs: Date.now(), nonce, payload: JSON.stringify(payload) }).toString('base64');
const opened = (r: Reply) => JSON.parse(decodeResponseEnvelope(secret, r.body).json);

test('a replayed envelope is accepted once, whichever thread each copy reaches', async (t) => {
  const op = await start(dataSet(t), 2);
  t.after(() => op.close());
  // Sixteen connections: the kernel spreads them over both threads' sockets.
  const agents = Array.from({ length: 16 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  t.after(() => agents.forEach((a) => a.destroy()));
  for (let round = 0; round < 5; round++) {
    const body = envelope({ email: `replay${round}@example.com` });
    const replies = await Promise.all(agents.map((a) => post(op.port, '/v2/token/generate', body, a)));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, `round ${round}: exactly one copy accepted`);
    assert.equal(replies.filter((r) => r.status === 400).length, 15);
  }
  const counts = await op.threads.requestCounts();
  assert.equal(counts.length, 2);
  assert.ok(counts.every((c) => c > 0), `both threads answered: ${counts}`);
});

test('a full replay table answers 503 to new envelopes, never 200; replays are still 400', async (t) => {
  const op = await start(dataSet(t), 2, { replay_guard_capacity: 4, replay_guard_client_share_percent: 100 });
  t.after(() => op.close());
  const first = envelope({ email: 'full0@example.com' });
  assert.equal((await post(op.port, '/v2/token/generate', first)).status, 200);
  for (let i = 1; i < 4; i++) assert.equal((await post(op.port, '/v2/token/generate', envelope({ email: `full${i}@example.com` }))).status, 200);
  for (let i = 0; i < 6; i++) {
    const r = await post(op.port, '/v2/token/generate', envelope({ email: `over${i}@example.com` }));
    assert.equal(r.status, 503);
    assert.equal(JSON.parse(r.body).status, 'unknown');
  }
  assert.equal((await post(op.port, '/v2/token/generate', first)).status, 400, 'a replay is refused, not waved through');
});

test('three threads give the same answers as one', async (t) => {
  const dir = dataSet(t);
  const emails = Array.from({ length: 20 }, (_, i) => `same${i}@example.com`);
  const answers = async (threads: number) => {
    const op = await start(dir, threads);
    try {
      const map = opened(await post(op.port, '/v3/identity/map', envelope({ email: emails })));
      const keys = op.deps.stores.keysetKeys.current();
      const uids: string[] = [];
      for (const email of emails) {
        const token = opened(await post(op.port, '/v2/token/generate', envelope({ email }))).body.advertising_token;
        uids.push(decodeAdvertisingToken(token, (id) => keys.byId.get(id)).rawUid.toString('base64'));
      }
      const sharing = opened(await post(op.port, '/v2/key/sharing', envelope({})));
      // The advertising-id index: built once by the process, read by every thread.
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(opened(await post(op.port, '/v2/optout/status', envelope({ advertising_ids: map.body.email.map((e: { u: string }) => e.u) }))));
      return { map, uids, sharing, statuses };
    } finally {
      await op.close();
    }
  };
  const one = await answers(1);
  const three = await answers(3);
  assert.deepEqual(three.map, one.map);
  assert.deepEqual(three.uids, one.uids);
  assert.deepEqual(three.sharing, one.sharing);
  assert.deepEqual(three.statuses, one.statuses);
  assert.equal(one.statuses[0].status, 'success');
});

test('a salt swap under load switches every thread at one moment: no answer started after a new-salt answer uses the old salts', async (t) => {
  const dir = dataSet(t);
  const op = await start(dir, 3);
  t.after(() => op.close());
  const email = 'swap@example.com';
  const mapOnce = async () => {
    const started = performance.now();
    const r = await post(op.port, '/v3/identity/map', envelope({ email: [email] }));
    assert.equal(r.status, 200);
    return { started, ended: performance.now(), uid: opened(r).body.email[0].u as string };
  };
  const before = (await mapOnce()).uid;
  // New salts: another first-level salt (every raw UID changes), under a higher version.
  const saltsDir = join(dir, 'com.uid2.core', 'test', 'salts');
  const meta = JSON.parse(readFileSync(join(saltsDir, 'metadata.json'), 'utf8'));
  const results: { started: number; ended: number; uid: string }[] = [];
  let stop = false;
  const load = Array.from({ length: 6 }, async () => {
    while (!stop) results.push(await mapOnce());
  });
  await new Promise((r) => setTimeout(r, 150));
  const firstLevel = Buffer.from(meta.first_level, 'base64').reverse().toString('base64');
  writeFileSync(join(saltsDir, 'metadata.json'), JSON.stringify({ ...meta, version: meta.version + 1, first_level: firstLevel }));
  const deadline = Date.now() + 20_000;
  while (!results.some((r) => r.uid !== before) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(load);
  const after = results.filter((r) => r.uid !== before);
  assert.ok(after.length > 0, 'the new salts arrived');
  assert.equal(new Set(after.map((r) => r.uid)).size, 1, 'one new raw UID');
  const firstNew = Math.min(...after.map((r) => r.ended));
  const stale = results.filter((r) => r.uid === before && r.started > firstNew);
  assert.deepEqual(stale, [], 'no thread answered from the old salts after another answered from the new');
});

test('a thread that dies under load is replaced; every request is answered or refused at once', async (t) => {
  const op = await start(dataSet(t), 2);
  t.after(() => op.close());
  const idsBefore = op.threads.threadIds();
  let stop = false;
  const outcomes: { ok: boolean; ms: number }[] = [];
  const load = Array.from({ length: 4 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (!stop) {
      const started = performance.now();
      try {
        const r = await post(op.port, '/v2/token/generate', envelope({ email: 'kill@example.com' }), agent);
        outcomes.push({ ok: r.status === 200, ms: performance.now() - started });
      } catch {
        outcomes.push({ ok: false, ms: performance.now() - started });
      }
    }
    agent.destroy();
  });
  await new Promise((r) => setTimeout(r, 300));
  await op.threads.terminateThread(0);
  const deadline = Date.now() + 10_000;
  while (op.threads.threadIds().filter((id) => !idsBefore.includes(id)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await Promise.all(load);
  assert.equal(op.threads.threadIds().length, 2, 'two threads again');
  assert.ok(op.threads.threadIds().some((id) => !idsBefore.includes(id)), 'one is new');
  assert.ok(outcomes.length > 20);
  assert.ok(outcomes.every((o) => o.ms < 10_000), `no request waited: ${Math.max(...outcomes.map((o) => o.ms))} ms`);
  const after = await post(op.port, '/v2/token/generate', envelope({ email: 'kill@example.com' }));
  assert.equal(after.status, 200);
});

test('the metrics port counts every thread\'s requests once, and the process\'s own series', async (t) => {
  const op = await start(dataSet(t), 2);
  t.after(() => op.close());
  for (let i = 0; i < 10; i++) assert.equal((await post(op.port, '/v2/token/generate', envelope({ email: `m${i}@example.com` }))).status, 200);
  const text = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('uid2_http_requests_total{') && l.includes('path="/v2/token/generate"') && l.includes('code="200"'));
  assert.ok(line, text.slice(0, 500));
  assert.equal(Number(line.split(' ').at(-1)), 10);
  assert.match(text, /vertx_http_server_requests_total\{[^}]*path="\/v2\/token\/generate"[^}]*\} 10/);
  assert.match(text, /uid2_component_health\{component="http-server"[^}]*\} 1/);
  assert.match(text, /process_resident_memory_bytes/);
});

test('the usage log writes one line per endpoint and site for all threads, with the summed counts', async (t) => {
  const lines: { msg: string; endpoint?: string; siteId?: number; domainList?: { count: number }[]; time: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const op = await start(dataSet(t), 2, { api_usage_log_interval_ms: 1000 }, logger);
  t.after(() => op.close());
  // New connections each: the kernel spreads them over both threads.
  for (let i = 0; i < 20; i++) assert.equal((await post(op.port, '/v2/token/generate', envelope({ email: `u${i}@example.com` }))).status, 200);
  assert.ok((await op.threads.requestCounts()).every((c) => c > 0), 'both threads answered');
  const until = Date.now() + 5000;
  const usage = () => lines.filter((l) => l.msg === 'api usage' && l.endpoint === 'token/generate' && l.siteId === 999);
  while (usage().reduce((n, l) => n + l.domainList!.reduce((m, d) => m + d.count, 0), 0) < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.equal(usage().reduce((n, l) => n + l.domainList!.reduce((m, d) => m + d.count, 0), 0), 20);
  // One line per interval: no two lines for the endpoint and site within one flush.
  const times = usage().map((l) => l.time);
  assert.equal(new Set(times).size, times.length);
});

test('a thread whose event loop stays blocked past request_thread_stall_ms is replaced; its requests end, none hangs', async (t) => {
  const op = await start(dataSet(t), 2, { request_thread_stall_ms: 300 });
  t.after(() => op.close());
  const idsBefore = op.threads.threadIds();
  // Large map requests on many connections: each thread runs its share back to back in one batch,
  // which holds its event loop for well over 300 ms on this machine.
  const emails = Array.from({ length: 20_000 }, (_, i) => `blocker${i}@example.com`);
  const body = () => envelope({ email: emails });
  const started = performance.now();
  const outcomes = await Promise.all(Array.from({ length: 16 }, () => post(op.port, '/v3/identity/map', body()).then((r) => r.status, () => 'reset')));
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 30_000, `no request waited past the request timeout (${Math.round(elapsed)} ms)`);
  const deadline = Date.now() + 10_000;
  while (!op.threads.threadIds().some((id) => !idsBefore.includes(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(op.threads.threadIds().some((id) => !idsBefore.includes(id)), `a blocked thread was replaced (outcomes ${outcomes.join(',')})`);
  assert.ok(outcomes.includes('reset'), 'the replaced thread\'s connections were closed');
  while (op.threads.threadIds().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await post(op.port, '/v2/token/generate', envelope({ email: 'after@example.com' }))).status, 200);
});

test('close drains every thread: requests in flight on each thread finish with Connection: close, new connections are refused, then the process is done', async (t) => {
  const op = await start(dataSet(t), 2);
  let closed = false;
  t.after(() => (closed ? undefined : op.close()));
  // Four requests with half their body sent: on two threads, the kernel spreading connections.
  const inFlight = Array.from({ length: 4 }, (_, i) => {
    const body = envelope({ email: 'drain@example.com' });
    let finish!: () => void;
    const reply = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: op.port, path: '/v2/token/generate', method: 'POST', agent: false, headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20 + i));
      finish = () => req.end(body.slice(20 + i));
    });
    return { reply, finish: () => finish() };
  });
  await new Promise((r) => setTimeout(r, 300));
  const closing = op.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(closed, false, 'waits for the requests in flight');
  const late = await fetch(`http://127.0.0.1:${op.port}/ops/healthcheck`).then((r) => r.status, (e: Error) => (e.cause as { code?: string } | undefined)?.code ?? e.message);
  assert.ok(late === 'ECONNREFUSED' || late === 503, `a new connection while draining: ${late}`);
  for (const r of inFlight) r.finish();
  const replies = await Promise.all(inFlight.map((r) => r.reply));
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.equal(r.connection, 'close');
    assert.equal(opened({ status: r.status, body: r.body }).status, 'success');
  }
  await closing;
  assert.equal(op.threads.threadIds().length, 0, 'every thread ended');
});
