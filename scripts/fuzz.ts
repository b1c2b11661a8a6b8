/**
 * `npm run fuzz [-- --inputs N] [--seed S] [--only name,...]` (issue 7): property-based and
 * mutation fuzzing of every decoder, parser and route (scripts/fuzz/). Progress and failure
 * details go to stderr; the last line on stdout is exactly `fuzz: N inputs, F failures`.
 * Exit code 1 when F > 0.
 */
import { Command } from 'commander';
import { runFuzz } from './fuzz/fuzz-runner.ts';

const program = new Command()
  .name('fuzz')
  .option('--inputs <n>', 'number of inputs', '1000000')
  .option('--seed <n>', 'PRNG seed (same seed, same inputs)', '7')
  .option('--only <names>', 'comma-separated target name filters')
  .parse(process.argv);
const opts = program.opts<{ inputs: string; seed: string; only?: string }>();
const inputs = Number(opts.inputs);
const seed = Number(opts.seed);
if (!Number.isSafeInteger(inputs) || inputs < 0 || !Number.isSafeInteger(seed)) {
  process.stderr.write('fuzz: --inputs and --seed must be integers\n');
  process.exit(2);
}

const result = await runFuzz({
  inputs,
  seed,
  only: opts.only?.split(',').filter(Boolean),
  progressEvery: Math.max(1000, Math.floor(inputs / 20)),
  onProgress: (done, failures) => process.stderr.write(`fuzz: ${done}/${inputs} inputs, ${failures} failures\n`),
});
for (const f of result.reported) process.stderr.write(`FAIL #${f.input} [${f.target}] ${f.reason}\n`);
const rate = Math.round(result.inputs / Math.max(1, result.elapsedMs / 1000));
process.stderr.write(`fuzz: seed ${seed}, ${(result.elapsedMs / 1000).toFixed(1)} s (${rate} inputs/s); per target: ${[...result.perTarget].map(([n, c]) => `${n}=${c}/${result.timeByTarget.get(n)}ms`).join(' ')}\n`);
process.stdout.write(`fuzz: ${result.inputs} inputs, ${result.failures} failures\n`);
process.exitCode = result.failures > 0 ? 1 : 0;
