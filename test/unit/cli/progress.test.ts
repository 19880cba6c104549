import { describe, expect, it } from 'vitest';
import { pool } from '../../../cli/pool.js';
import { formatProgress, ProgressLine } from '../../../cli/progress.js';

function stream(isTTY: boolean): { isTTY: boolean; written: string[]; write: (chunk: string) => boolean } {
  const written: string[] = [];
  return { isTTY, written, write: (chunk) => written.push(chunk) > 0 };
}

describe('batch progress', () => {
  it('shows done/total, files per minute and the time left at that rate', () => {
    // Act
    const line = formatProgress(5, 15, 60_000);

    // Assess
    expect(line).toBe('5/15 done · 5.0 files/min · ETA 2:00');
    expect(formatProgress(0, 15, 3_000)).toBe('0/15 done · ETA –');
    expect(formatProgress(1, 400, 60_000)).toBe('1/400 done · 1.0 files/min · ETA 6:39:00');
  });

  it('redraws in place on a terminal and erases itself around output to stdout', () => {
    // Prepare
    const err = stream(true);
    const out = stream(false);
    let now = 0;
    const progress = new ProgressLine(2, err, () => now, 60_000);

    // Act
    now = 30_000;
    progress.write(out, 'first outcome\n');
    progress.itemDone();
    progress.stop();

    // Assess
    expect(out.written).toEqual(['first outcome\n']);
    expect(err.written).toEqual([
      '\r\u001b[2K0/2 done · ETA –',
      '\r\u001b[2K',
      '\r\u001b[2K0/2 done · ETA –',
      '\r\u001b[2K1/2 done · 2.0 files/min · ETA 0:30',
      '\r\u001b[2K',
    ]);
  });

  it('writes no progress at all when stderr is not a terminal', () => {
    // Prepare
    const err = stream(false);
    const out = stream(false);
    const progress = new ProgressLine(1, err);

    // Act
    progress.write(out, 'outcome\n');
    progress.itemDone();
    progress.stop();

    // Assess
    expect(err.written).toEqual([]);
    expect(out.written).toEqual(['outcome\n']);
  });
});

describe('bounded pool', () => {
  it('never has more than the bound in flight and keeps input order in its results', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;

    // Act
    const results = await pool([30, 5, 20, 1, 10], 2, async (ms) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight -= 1;
      return ms * 2;
    });

    // Assess
    expect(most).toBe(2);
    expect(results).toEqual([60, 10, 40, 2, 20]);
  });

  it('starts nothing new after a failure and throws it', async () => {
    // Prepare
    const started: number[] = [];

    // Act
    const failed = pool([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('upload failed');
      return n;
    });

    // Assess
    await expect(failed).rejects.toThrow('upload failed');
    expect(started).toEqual([1, 2]);
  });
});
