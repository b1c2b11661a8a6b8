/**
 * Loads the optional native crypto addon (native/, issue 6) and installs it as the protocol
 * library's crypto kernels (`src/protocol/crypto-kernels.ts`). Loading never throws: a missing
 * or broken addon is only reported by `nativeKernelStatus()`, and node:crypto stays in use.
 * `UID2_NATIVE=off` disables it (the addon is then never loaded).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cryptoKernels, useCryptoKernels, type CryptoKernels } from '../protocol/crypto-kernels.ts';

/** Where `scripts/build-native.mjs` (node-gyp) puts the addon, from the repository root. */
const ADDON_URL = new URL('../../native/build/Release/uid2_native.node', import.meta.url);

/** The raw binding; only this module touches it. */
interface NativeBinding extends Omit<CryptoKernels, 'version'> {
  version(): string;
}

export interface NativeKernelStatus {
  loaded: boolean;
  /** Why the addon is not in use, when it is not. */
  reason?: string;
}

let status: NativeKernelStatus | undefined;
let kernels: CryptoKernels | undefined;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

function load(): CryptoKernels | undefined {
  if (status) return kernels;
  if (process.env.UID2_NATIVE === 'off') {
    status = { loaded: false, reason: 'disabled by UID2_NATIVE=off' };
    return undefined;
  }
  const path = fileURLToPath(ADDON_URL);
  if (!existsSync(path)) {
    status = { loaded: false, reason: 'addon not built (native/build/Release/uid2_native.node missing; run npm run build:native)' };
    return undefined;
  }
  try {
    const binding = createRequire(import.meta.url)(path) as NativeBinding;
    kernels = {
      version: binding.version(),
      gcmSealInPlace: binding.gcmSealInPlace,
      gcmOpenInto: binding.gcmOpenInto,
      sha256Base64Pairs: binding.sha256Base64Pairs,
      sha256TextInto: binding.sha256TextInto,
      sha256Base64SaltedInto: binding.sha256Base64SaltedInto,
    };
    status = { loaded: true };
  } catch (err) {
    status = { loaded: false, reason: `addon failed to load: ${messageOf(err)}` };
  }
  return kernels;
}

/** Installs the native kernels when the addon loads; true when they are in use. Idempotent. */
export function installNativeKernels(): boolean {
  const k = load();
  if (!k) return false;
  if (cryptoKernels() !== k) useCryptoKernels(k);
  return true;
}

/** Whether the addon loaded, and why not when it did not. */
export function nativeKernelStatus(): NativeKernelStatus {
  load();
  return { ...status! };
}

/** The loaded kernels (installed or not), for tests and diagnostics. */
export function nativeKernels(): CryptoKernels | undefined {
  return load();
}
