/**
 * Whether this machine should have the native addon: it must be built unless it was disabled
 * (UID2_NATIVE=off) or there is no C compiler; then tests skip with the loader's reason.
 */
import { spawnSync } from 'node:child_process';
import { nativeKernelStatus, nativeKernels } from '../../src/native/index.ts';
import type { CryptoKernels } from '../../src/protocol/crypto-kernels.ts';

function hasCompiler(): boolean {
  return ['cc', 'gcc', 'clang'].some((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
}

/** Why native tests skip here, or undefined when the addon is expected to be in use. */
export function skipReason(): string | undefined {
  if (process.env.UID2_NATIVE === 'off') return `native kernels off: ${nativeKernelStatus().reason}`;
  if (!hasCompiler()) return `no C compiler on this machine: ${nativeKernelStatus().reason}`;
  return undefined;
}

/** The loaded kernels; throws (failing the test) when they should be there and are not. */
export function requireKernels(): CryptoKernels {
  const k = nativeKernels();
  if (!k) throw new Error(`native addon expected but not loaded: ${nativeKernelStatus().reason}`);
  return k;
}
