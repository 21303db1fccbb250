import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

function recorder(isTTY: boolean) {
  const lines: string[] = [];
  let now = 0;
  return {
    lines,
    advance: (ms: number) => (now += ms),
    progress: (total: number) =>
      createProgress({ isTTY, write: (text: string) => lines.push(text) }, total, () => now),
  };
}

describe('import progress', () => {
  it('redraws a bar in place on a terminal, with percentage of bytes and rows/s', () => {
    const r = recorder(true);
    const progress = r.progress(1000);
    r.advance(2000);
    progress.update(500, 10_000);
    r.advance(50);
    progress.update(600, 11_000); // too soon after the last draw: skipped
    r.advance(1950);
    progress.finish(1000, 20_000);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toMatch(/^\r\[#{15}\.{15}\] {2}50\.0% {2}10,000 rows {2}5,000 rows\/s/);
    expect(r.lines[1]).toMatch(/^\r\[#{30}\] 100\.0% {2}20,000 rows {2}5,000 rows\/s.*\n$/);
  });

  it('writes plain lines every few seconds when not on a terminal', () => {
    const r = recorder(false);
    const progress = r.progress(0);
    progress.update(0, 1);
    r.advance(1000);
    progress.update(0, 2);
    r.advance(5000);
    progress.update(0, 3);
    expect(r.lines).toEqual([
      expect.stringMatching(/^import: 100\.0% {2}1 rows/),
      expect.stringMatching(/^import: 100\.0% {2}3 rows {2}1 rows\/s\n$/),
    ]);
    expect(r.lines.join('')).not.toContain('\r');
  });
});
