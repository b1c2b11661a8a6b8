/**
 * A fetch response's whole body as one Buffer. When the size is declared (Content-Length, no
 * content coding), the chunks are copied straight into a buffer of that size as they arrive;
 * `response.arrayBuffer()` instead joins them at the end, one ~120 MB copy on the event loop for
 * an encrypted salt snapshot (~30 ms held at once, against ~10 ms here; issue 6). Otherwise, or
 * for an implausible size, the body is read with `arrayBuffer()`. A body that ends before its
 * declared size, or runs past it, is an error. With `shared` the bytes are in shared memory
 * (`SharedArrayBuffer`), for job threads to read in place.
 */
import { sharedCopy } from '../threads/job-thread.ts';

const MAX_DECLARED_BYTES = 2 ** 31 - 1;

export async function responseBytes(response: Response, shared = false): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const coding = response.headers.get('content-encoding');
  const identity = coding === null || coding.trim().toLowerCase() === 'identity';
  if (response.body === null || !identity || !Number.isSafeInteger(declared) || declared < 0 || declared > MAX_DECLARED_BYTES) {
    const whole = Buffer.from(await response.arrayBuffer());
    return shared ? sharedCopy(whole) : whole;
  }
  const out = shared ? Buffer.from(new SharedArrayBuffer(declared)) : Buffer.allocUnsafe(declared);
  let at = 0;
  for await (const chunk of response.body) {
    if (at + chunk.length > declared) throw new Error('response body longer than its Content-Length');
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== declared) throw new Error('response body shorter than its Content-Length');
  return out;
}
