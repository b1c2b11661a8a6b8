// Runs the TypeScript sources (tests, bench, fuzz, soak; production runs the compiled dist/):
// `node --import ./scripts/ts-loader.mjs file.ts`. Unlike `--import tsx`, which registers its
// loader on the main thread only, this registers it in every thread: worker threads inherit the
// flag through their execArgv, so a thread started on a `.ts` module can load it.
import { register } from 'tsx/esm/api';

register();
