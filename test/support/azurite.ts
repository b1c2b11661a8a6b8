/**
 * Starts a real Azurite blob service as a child process for tests on the Azure backend:
 * `const azurite = await startAzurite(); ... await azurite.stop();`. It listens on 127.0.0.1 on a
 * port the OS picks (printed on stdout), keeps its data in a fresh temp directory, and is killed
 * (and the directory removed) by `stop()`. `startAzurite` rejects after `timeoutMs` so a test
 * never hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './shared.ts';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** e.g. http://127.0.0.1:41234/devstoreaccount1 */
  readonly blobEndpoint: string;
  readonly connectionString: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startAzurite(timeoutMs = 30_000): Promise<Azurite> {
  const location = await mkdtemp(join(tmpdir(), 'azurite-'));
  const bin = join(repoRoot, 'node_modules', '.bin', 'azurite-blob');
  const child = spawn(
    bin,
    ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(location, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`azurite did not start in ${timeoutMs} ms: ${out}`)), timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const m = /successfully listens on (http:\/\/[0-9.]+:[0-9]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`azurite exited with ${code}: ${out}`));
      });
    });
    child.stdout!.resume();
    child.stderr!.resume();
    const blobEndpoint = `${url}/${AZURITE_ACCOUNT}`;
    const connectionString =
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`;
    return { blobEndpoint, connectionString, process: child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
