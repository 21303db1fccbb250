import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU accounting from /proc (Linux), so that a run on a shared or busy machine says so: CPU time
 * is not inflated by waiting, unlike latency and throughput.
 */

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10; // USER_HZ is 100 on practically every Linux
  }
})();

/** user + system CPU of one process (all its threads), in ms; 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU of every process named `postgres` (server and backends, whoever they serve). */
export function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') {
        total += processCpuMs(Number(entry));
      }
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Machine-wide busy and total CPU time (all cores) since boot, in ms. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  const busy =
    (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy: busy * TICK_MS, total: (busy + (idle ?? 0) + (iowait ?? 0)) * TICK_MS };
}

export interface CpuSample {
  server: number;
  postgres: number;
  bench: number;
  machine: { busy: number; total: number };
}

export function sampleCpu(serverPid: number): CpuSample {
  const self = process.cpuUsage();
  return {
    server: processCpuMs(serverPid),
    postgres: postgresCpuMs(),
    bench: (self.user + self.system) / 1000,
    machine: machineCpuMs(),
  };
}

export interface CpuUse {
  /** Server process CPU per completed request, µs. */
  serverUsPerRequest: number;
  /** PostgreSQL CPU per completed request, µs (machine-wide: includes anyone else's queries). */
  postgresUsPerRequest: number;
  /** This process (autocannon) per request, µs. */
  benchUsPerRequest: number;
  /** Share of the machine's CPU used by everything else during the run (noise indicator). */
  otherPercent: number;
  /** Share of the machine's CPU in use during the run. */
  busyPercent: number;
}

export function cpuUse(before: CpuSample, after: CpuSample, requests: number): CpuUse {
  const server = after.server - before.server;
  const postgres = after.postgres - before.postgres;
  const bench = after.bench - before.bench;
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total || 1;
  const perRequest = (ms: number) => (requests > 0 ? (ms * 1000) / requests : 0);
  return {
    serverUsPerRequest: perRequest(server),
    postgresUsPerRequest: perRequest(postgres),
    benchUsPerRequest: perRequest(bench),
    otherPercent: Math.max(0, ((busy - server - postgres - bench) / total) * 100),
    busyPercent: (busy / total) * 100,
  };
}
