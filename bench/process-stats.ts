/**
 * Resident memory and CPU time of a process together with all its descendants (Linux /proc): the
 * operator is one process with request threads (issue 16), but a figure "of the operator" must
 * still count any child it starts. Threads are part of their process, so /proc/<pid> covers them.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields after the ")" that closes the command name (which may hold spaces): state is [0]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat field 4 is the parent pid.
      if (Number(statFields(Number(entry))[1]) === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

function sumOver(pid: number, read: (p: number) => number): number | undefined {
  try {
    const tree = processTree(pid);
    let total = read(pid);
    for (const p of tree.slice(1)) {
      try {
        total += read(p);
      } catch {
        // a child that ended meanwhile counts as nothing
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

function rssBytesOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resident bytes of `pid` and its descendants; undefined when `pid` cannot be read. */
export function residentBytes(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : sumOver(pid, rssBytesOf);
}

/** The same in MB (0 where unavailable). */
export function rssMb(pid: number): number {
  return Math.round((residentBytes(pid) ?? 0) / 2 ** 20);
}

/** CPU seconds (user + system, fields 14 and 15, in clock ticks of 1/100 s) used so far by `pid` and its descendants. */
export function cpuSeconds(pid: number): number {
  return (
    sumOver(pid, (p) => {
      const f = statFields(p);
      return (Number(f[11]) + Number(f[12])) / 100;
    }) ?? 0
  );
}

/** CPU seconds this process and its waited-for children (e.g. a finished wrk) have used: fields 14-17. */
export function ownCpuSeconds(): number {
  const f = statFields(process.pid);
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** CPU seconds the whole machine has spent busy (not idle, not waiting for I/O) since boot (/proc/stat). */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal ...
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - t[3] - t[4]) / 100;
  } catch {
    return 0;
  }
}
