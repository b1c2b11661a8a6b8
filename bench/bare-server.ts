/**
 * The benchmark's reference: a bare `node:http` server answering every request with one fixed
 * 200 body, written once with content-length (the cheapest correct HTTP/1.1 answer Node gives).
 * Started as a child process by bench/run.ts; prints `{"port":N}` when listening.
 */
import { createServer } from 'node:http';

const BODY = Buffer.from('{"status":"success"}');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const server = createServer((req, res) => {
  // Drain the request body so keep-alive connections stay usable, then answer.
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
