/**
 * Closed-loop load for large requests (identity map, 5,000 emails each): `concurrency` loops on
 * keep-alive connections, each building a fresh v2 envelope per request (so nothing is replayed)
 * and waiting for the answer. The client's per-request cost (one AES-GCM of ~150 KB) is small next
 * to the server's, so a Node client is enough here. The first answer is decrypted and checked.
 */
import { Agent, request } from 'node:http';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../src/protocol/envelope-v2.ts';
import type { LoadResult } from './load-runner.ts';

export interface BatchSpec {
  readonly port: number;
  readonly path: string;
  readonly apiKey: string;
  readonly secret: Buffer;
  /** JSON payloads, rotated. */
  readonly payloads: readonly string[];
  readonly concurrency: number;
  readonly durationS: number;
  /** Checks the first decrypted answer; throws when it is wrong. */
  readonly verify?: (json: unknown) => void;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function postOnce(agent: Agent, spec: BatchSpec, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: spec.port, path: spec.path, method: 'POST', agent, headers: { authorization: `Bearer ${spec.apiKey}`, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('latin1') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runBatchLoad(spec: BatchSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let next = 0;
  let verified = spec.verify === undefined;
  const start = performance.now();
  const end = start + spec.durationS * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const payload = spec.payloads[next++ % spec.payloads.length];
      const body = encodeRequestEnvelope(spec.secret, { nowMs: Date.now(), payload }).toString('base64');
      const t0 = performance.now();
      try {
        const res = await postOnce(agent, spec, body);
        latencies.push(performance.now() - t0);
        if (res.status < 200 || res.status > 299) non2xx++;
        if (res.status !== 200) errors++;
        else if (!verified) {
          verified = true;
          spec.verify!(JSON.parse(decodeResponseEnvelope(spec.secret, res.text).json));
        }
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('verify:')) throw err;
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsedS, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), requests: latencies.length, errors, non2xx };
}
