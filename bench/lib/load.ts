import autocannon from 'autocannon';

export interface LoadResult {
  title: string;
  connections: number;
  seconds: number;
  /** Successful (2xx) responses per second over the whole run. */
  rps: number;
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  /** Status code → count, for reporting unexpected answers. */
  statusCodes: Record<string, number>;
}

export type LoadOptions = Omit<autocannon.Options, 'url'> & { url: string; title: string };

/** Runs autocannon in this process and condenses its result. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ timeout: 30, pipelining: 1, ...options }, (error, res) =>
      error ? reject(error as Error) : resolve(res),
    );
    instance.on('error', reject);
  });
  const statusCodes: Record<string, number> = {};
  const stats = (result as any).statusCodeStats as Record<string, { count: number }> | undefined;
  for (const [code, { count }] of Object.entries(stats ?? {})) statusCodes[code] = count;
  return {
    title: options.title,
    connections: result.connections,
    seconds: result.duration,
    rps: result['2xx'] / result.duration,
    total: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    statusCodes,
  };
}

export function describeLoad(r: LoadResult): string {
  const codes = Object.entries(r.statusCodes)
    .map(([code, count]) => `${code}×${count}`)
    .join(' ');
  return (
    `${r.title}: ${r.rps.toFixed(0)} req/s (2xx) over ${r.seconds}s, ${r.connections} conns, ` +
    `p50 ${r.latencyP50} ms, p99 ${r.latencyP99} ms, max ${r.latencyMax} ms, ` +
    `non-2xx ${r.non2xx}, errors ${r.errors} (timeouts ${r.timeouts}) [${codes}]`
  );
}
