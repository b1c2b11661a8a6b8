/**
 * Resident set size of a process and all its descendants (Linux /proc), in bytes: an operator
 * runs a cluster of worker processes under its primary. Undefined when it cannot be read.
 */
import { readdirSync, readFileSync } from 'node:fs';

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export function residentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let total = 0;
    const queue = [pid];
    while (queue.length) {
      const p = queue.pop()!;
      total += rssOf(p);
      queue.push(...childrenOf(p));
    }
    return total;
  } catch {
    return undefined;
  }
}
