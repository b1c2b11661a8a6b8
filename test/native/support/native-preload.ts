/**
 * `node --import ./scripts/ts-loader.mjs --import ./test/native/support/native-preload.ts ...`
 * runs any program (for example the protocol test files) with the native kernels installed. With `UID2_NATIVE=require` a missing
 * addon is an error instead of a silent fallback, so a run proves the native path was taken.
 */
import { installNativeKernels, nativeKernelStatus } from '../../../src/native/index.ts';

if (!installNativeKernels() && process.env.UID2_NATIVE === 'require') {
  throw new Error(`uid2: UID2_NATIVE=require but the native kernels are not loaded: ${nativeKernelStatus().reason}`);
}
