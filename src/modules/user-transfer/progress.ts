/**
 * Import progress on stderr: a bar redrawn in place on a terminal, plain lines now and then
 * otherwise (logs and CI would be flooded with carriage returns).
 */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  update(bytesRead: number, rows: number): void;
  finish(bytesRead: number, rows: number): void;
}

const BAR_WIDTH = 30;
const TTY_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 5_000;

export function createProgress(
  output: ProgressOutput,
  totalBytes: number,
  now: () => number = () => performance.now(),
): Progress {
  const tty = output.isTTY === true;
  const started = now();
  let last = -Infinity;

  const render = (bytesRead: number, rows: number) => {
    const fraction = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 1;
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = Math.round(rows / seconds);
    const figures = `${(fraction * 100).toFixed(1).padStart(5)}%  ${rows.toLocaleString('en')} rows  ${rate.toLocaleString('en')} rows/s`;
    if (!tty) return `import: ${figures}\n`;
    const filled = Math.round(fraction * BAR_WIDTH);
    return `\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${figures}\x1b[K`;
  };

  return {
    update(bytesRead, rows) {
      const at = now();
      if (at - last < (tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)) return;
      last = at;
      output.write(render(bytesRead, rows));
    },
    finish(bytesRead, rows) {
      output.write(render(bytesRead, rows) + (tty ? '\n' : ''));
    },
  };
}
