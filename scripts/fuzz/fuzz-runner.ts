/**
 * Runs N fuzz inputs over every target, weighted and deterministic for a seed, and collects
 * failures. Targets and their fixtures are set up once; progress goes to a callback so the CLI
 * can print it to stderr. Uncaught exceptions and unhandled rejections during the run (a crash
 * that escaped a target) count as failures too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../test/support/shared.ts';
import { createFuzzOperator } from './fuzz-operator.ts';
import type { FuzzTarget } from './fuzz-target.ts';
import { identityTargets } from './identity-properties.ts';
import { parserTargets } from './parser-targets.ts';
import { Prng } from './prng.ts';
import { protocolTargets } from './protocol-targets.ts';
import { routeTargets } from './route-targets.ts';
import { serviceTargets } from './service-targets.ts';
import { loadVectorCorpus } from './vector-corpus.ts';

export interface FuzzFailure {
  readonly input: number;
  readonly target: string;
  readonly reason: string;
}

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  /** Only targets whose name contains one of these (all when empty). */
  readonly only?: readonly string[];
  readonly onProgress?: (done: number, failures: number, perTarget: ReadonlyMap<string, number>) => void;
  readonly progressEvery?: number;
  /** Stop collecting details after this many failures (the count goes on). */
  readonly maxReported?: number;
}

export interface FuzzResult {
  readonly inputs: number;
  readonly failures: number;
  readonly reported: readonly FuzzFailure[];
  readonly perTarget: ReadonlyMap<string, number>;
  /** Milliseconds spent per target. */
  readonly timeByTarget: ReadonlyMap<string, number>;
  readonly elapsedMs: number;
}

const SLOW_INPUT_MS = 5_000;

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const corpus = loadVectorCorpus();
  const saltText = readFileSync(join(fixturesDir, 'com.uid2.core/test/salts/salts.txt.1745907348982'), 'utf8');
  const fo = await createFuzzOperator();
  const services = await serviceTargets();
  const all: FuzzTarget[] = [...protocolTargets(corpus, saltText), ...identityTargets(), ...(await parserTargets(corpus)), ...(await routeTargets(fo)), ...services.targets];
  const targets = options.only?.length ? all.filter((t) => options.only!.some((o) => t.name.includes(o))) : all;
  if (targets.length === 0) throw new Error('fuzz: no target matches');
  const totalWeight = targets.reduce((sum, t) => sum + t.weight, 0);
  const prng = new Prng(options.seed);
  const streams = new Map(targets.map((t) => [t, prng.fork()]));
  const perTarget = new Map<string, number>(targets.map((t) => [t.name, 0]));
  const timeByTarget = new Map<string, number>(targets.map((t) => [t.name, 0]));
  const reported: FuzzFailure[] = [];
  const maxReported = options.maxReported ?? 50;
  let failures = 0;
  let current = { input: -1, target: 'none' };
  const record = (target: string, reason: string) => {
    failures++;
    if (reported.length < maxReported) reported.push({ input: current.input, target, reason });
  };
  const onCrash = (err: unknown) => record(current.target, `crash outside the target: ${(err as Error)?.message ?? err}`);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const started = Date.now();
  try {
    for (let i = 0; i < options.inputs; i++) {
      let pick = prng.int(totalWeight);
      let target = targets[0];
      for (const t of targets) {
        if (pick < t.weight) {
          target = t;
          break;
        }
        pick -= t.weight;
      }
      current = { input: i, target: target.name };
      const t0 = Date.now();
      let verdict: string | undefined;
      try {
        const out = target.run(streams.get(target)!);
        verdict = out instanceof Promise ? await out : out;
      } catch (err) {
        verdict = `target threw ${(err as Error).name}: ${(err as Error).message}`;
      }
      const took = Date.now() - t0;
      if (!verdict && took > SLOW_INPUT_MS) verdict = `input took ${took} ms`;
      perTarget.set(target.name, (perTarget.get(target.name) ?? 0) + 1);
      timeByTarget.set(target.name, (timeByTarget.get(target.name) ?? 0) + took);
      if (verdict) record(target.name, verdict);
      if (options.onProgress && (i + 1) % (options.progressEvery ?? 10_000) === 0) options.onProgress(i + 1, failures, perTarget);
    }
  } finally {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await fo.close();
    await services.close();
  }
  return { inputs: options.inputs, failures, reported, perTarget, timeByTarget, elapsedMs: Date.now() - started };
}
