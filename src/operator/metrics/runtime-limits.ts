/**
 * The limits the memory alerts compare prom-client's process metrics against (ours; upstream's
 * JVM exports its own `jvm_memory_max_bytes`):
 *
 * - `uid2_process_memory_limit_bytes`: the container's memory limit (cgroup v2 `memory.max`, or
 *   cgroup v1 `memory.limit_in_bytes`), else the machine's total memory. Compare with
 *   `process_resident_memory_bytes`.
 * - `uid2_nodejs_heap_size_limit_bytes`: V8's heap limit (`--max-old-space-size` or its default).
 *   Compare with `nodejs_heap_size_used_bytes`.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

const CGROUP_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

/** The container memory limit in bytes, or the machine's memory when there is none. */
export function memoryLimitBytes(files: readonly string[] = CGROUP_LIMIT_FILES): number {
  const machine = totalmem();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    const limit = Number(text);
    // "max" (v2) or a huge sentinel (v1) means unlimited.
    if (Number.isSafeInteger(limit) && limit > 0 && limit < machine) return limit;
  }
  return machine;
}

export function registerRuntimeLimits(registry: Registry): void {
  new Gauge({
    name: 'uid2_process_memory_limit_bytes',
    help: 'Memory limit of the container (cgroup), else total memory of the machine',
    registers: [registry],
    aggregator: 'max',
  }).set(memoryLimitBytes());
  new Gauge({
    name: 'uid2_nodejs_heap_size_limit_bytes',
    help: 'V8 heap size limit of the process',
    registers: [registry],
    aggregator: 'max',
  }).set(getHeapStatistics().heap_size_limit);
}
