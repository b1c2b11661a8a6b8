/**
 * How many request threads an operator runs by default (issue 16, upstream `service_instances`):
 * the CPUs the process may use. That is the machine's count limited by the CPU quota of the
 * process's control group (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, on
 * its own group and every parent), so a pod with a 6-CPU limit on a 64-core node runs 6.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CgroupPaths {
  /** Where the cgroup file systems are mounted. */
  readonly root: string;
  /** The text of /proc/self/cgroup. */
  readonly selfCgroup: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPUs a quota of `quota` per `period` allows (rounded up: 1.5 CPUs can keep 2 threads busy). */
function cpusOf(quota: number, period: number): number | undefined {
  return quota > 0 && period > 0 ? Math.ceil(quota / period) : undefined;
}

/** The directory and each parent up to (and including) `root`. */
function ancestors(root: string, path: string): string[] {
  const parts = path.split('/').filter((p) => p.length > 0);
  return parts.map((_, i) => join(root, ...parts.slice(0, parts.length - i))).concat(root);
}

/** The lowest CPU quota over the process's cgroup and its parents, in CPUs; undefined without one. */
export function cgroupCpuLimit(paths: CgroupPaths = { root: '/sys/fs/cgroup', selfCgroup: read('/proc/self/cgroup') ?? '' }): number | undefined {
  let limit: number | undefined;
  const lower = (cpus: number | undefined) => {
    if (cpus !== undefined) limit = limit === undefined ? cpus : Math.min(limit, cpus);
  };
  for (const line of paths.selfCgroup.split('\n')) {
    const [id, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (id === '0' && controllers === '') {
      // cgroup v2: "<quota> <period>" or "max <period>".
      for (const dir of ancestors(paths.root, path)) {
        const [quota, period] = (read(join(dir, 'cpu.max')) ?? '').split(' ');
        if (quota !== undefined && quota !== 'max') lower(cpusOf(Number(quota), Number(period)));
      }
    } else if (controllers.split(',').includes('cpu')) {
      for (const dir of ancestors(join(paths.root, controllers), path)) {
        lower(cpusOf(Number(read(join(dir, 'cpu.cfs_quota_us')) ?? -1), Number(read(join(dir, 'cpu.cfs_period_us')) ?? 0)));
      }
    }
  }
  return limit;
}

/** The default number of request threads: the CPUs this process may use, at least 1. */
export function defaultThreadCount(paths?: CgroupPaths): number {
  const cpus = availableParallelism();
  return Math.max(1, Math.min(cpus, cgroupCpuLimit(paths) ?? cpus));
}
