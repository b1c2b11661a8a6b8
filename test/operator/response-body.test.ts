/**
 * Reading a whole download (src/operator/sync/response-body.ts) from a real HTTP server: declared
 * sizes are filled in place, anything else goes through `arrayBuffer()`, and a body cut short is
 * an error, never a buffer with a tail of uninitialised memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { responseBytes } from '../../src/operator/sync/response-body.ts';

async function serve(t: { after: (fn: () => void) => void }, answer: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const body = randomBytes(3 * 1024 * 1024 + 17);

test('a declared length is read in place, in many chunks; an empty body too', async (t) => {
  const url = await serve(t, (res) => {
    res.writeHead(200, { 'content-length': body.length });
    for (let at = 0; at < body.length; at += 100_000) res.write(body.subarray(at, at + 100_000));
    res.end();
  });
  assert.deepEqual(await responseBytes(await fetch(url)), body);
  const empty = await serve(t, (res) => res.writeHead(200, { 'content-length': 0 }).end());
  assert.equal((await responseBytes(await fetch(empty))).length, 0);
});

test('chunked and gzip-coded bodies are read whole as well', async (t) => {
  const chunked = await serve(t, (res) => {
    res.writeHead(200);
    res.write(body.subarray(0, 1000));
    res.end(body.subarray(1000));
  });
  assert.deepEqual(await responseBytes(await fetch(chunked)), body);
  const zipped = gzipSync(body);
  const gzip = await serve(t, (res) => res.writeHead(200, { 'content-length': zipped.length, 'content-encoding': 'gzip' }).end(zipped));
  assert.deepEqual(await responseBytes(await fetch(gzip)), body, 'the declared length is the coded one');
});

test('a body that ends before its declared length is an error', async (t) => {
  const url = await serve(t, (res) => {
    res.writeHead(200, { 'content-length': body.length });
    res.write(body.subarray(0, 500_000), () => res.destroy());
  });
  await assert.rejects(async () => responseBytes(await fetch(url)));
});

test('shared: the bytes are in shared memory, read in place or through arrayBuffer()', async (t) => {
  const declared = await serve(t, (res) => res.writeHead(200, { 'content-length': body.length }).end(body));
  const chunked = await serve(t, (res) => {
    res.writeHead(200);
    res.end(body);
  });
  for (const url of [declared, chunked]) {
    const bytes = await responseBytes(await fetch(url), true);
    assert.ok(bytes.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(bytes, body);
  }
});
