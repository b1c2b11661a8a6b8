/**
 * The benchmark's reference: a bare `node:http` server answering every request with one fixed
 * 200 body, written once with content-length (the cheapest correct HTTP/1.1 answer Node gives).
 * `bare-server.ts [threads]` serves from that many worker threads (default 1), each listening on
 * the same port with `reusePort`, the way the operator's request threads do (issue 16): the
 * kernel spreads connections over the threads and the main thread only starts them. Started as
 * a child process by bench/run.ts; prints `{"port":N,"threads":T}` once every thread listens.
 */
import { createServer } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const BODY = Buffer.from('{"status":"success"}');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

/** In a worker thread: serve `port` (0: any free one) and report the port bound. */
function serve(port: number): void {
  const server = createServer((req, res) => {
    // Drain the request body so keep-alive connections stay usable, then answer.
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, HEADERS);
      res.end(BODY);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen({ port, host: '127.0.0.1', reusePort: true }, () => {
    const address = server.address();
    parentPort!.postMessage(typeof address === 'object' && address ? address.port : 0);
  });
}

function startThread(port: number): Promise<number> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { port } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

if (isMainThread) {
  const threads = Math.max(1, Number(process.argv[2] ?? 1) || 1);
  // The first thread binds the port; the others join it.
  const port = await startThread(0);
  await Promise.all(Array.from({ length: threads - 1 }, () => startThread(port)));
  process.stdout.write(`${JSON.stringify({ port, threads })}\n`);
  process.on('SIGTERM', () => process.exit(0));
} else {
  serve((workerData as { port: number }).port);
}
