import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { sleep, type Child } from './children.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export interface JsonResponse {
  status: number;
  body: any;
}

/** A small JSON client for setup calls (seeding users, logging in); not used for load. */
export function requestJson(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        timeout: 30_000,
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** One GET on a fresh connection; resolves with the status, or 0 when nothing answers. */
function probe(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Polls `path` every `intervalMs` until it answers 200; returns the time at which it did
 * (performance.now()). Fails when the child exits first or `timeoutMs` passes.
 */
export async function waitFor200(
  child: Child,
  port: number,
  path: string,
  { intervalMs = 10, timeoutMs = 30_000 } = {},
): Promise<number> {
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await probe(port, path);
    if (status === 200) return performance.now();
    if (exitCode !== undefined) {
      throw new Error(
        `${child.name} exited (code ${exitCode}) before ${path} answered 200:\n${child.output()}`,
      );
    }
    if (performance.now() > deadline) {
      throw new Error(
        `${child.name}: ${path} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`,
      );
    }
    await sleep(intervalMs);
  }
}

export function closeHttpAgent(): void {
  agent.destroy();
}
