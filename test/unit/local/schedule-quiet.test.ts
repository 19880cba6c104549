import { describe, expect, it } from 'vitest';
import { QUIET_MS, whenStepsQuiet } from '../../../infra/local/stack.js';

/** The steps' activity as the local Step Functions reports it, driven by the test. */
function activitySource() {
  const activity = { running: 0, lastAt: performance.now() };
  return {
    taskActivity: () => ({ ...activity }),
    start: () => Object.assign(activity, { running: activity.running + 1, lastAt: performance.now() }),
    end: () => Object.assign(activity, { running: activity.running - 1, lastAt: performance.now() }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('whenStepsQuiet (housekeeping ticks on the local stack)', () => {
  it('runs a tick once no step has run for a moment', async () => {
    // Prepare
    const steps = activitySource();
    const started = performance.now();
    // Act
    await whenStepsQuiet(steps, 5_000);
    // Assess
    expect(performance.now() - started).toBeLessThan(QUIET_MS * 3);
  });

  it('holds a tick while a step runs and lets it go a moment after the last one ends', async () => {
    // Prepare
    const steps = activitySource();
    steps.start();
    let ranAt: number | undefined;
    // Act
    const tick = whenStepsQuiet(steps, 5_000).then(() => {
      ranAt = performance.now();
    });
    await sleep(QUIET_MS * 3);
    const heldWhileRunning = ranAt === undefined;
    steps.end();
    const endedAt = performance.now();
    await tick;
    // Assess
    expect(heldWhileRunning).toBe(true);
    expect((ranAt ?? 0) - endedAt).toBeGreaterThanOrEqual(QUIET_MS - 5);
  });

  it('runs the tick after at most its wait when the steps never pause', async () => {
    // Prepare
    const steps = activitySource();
    steps.start();
    const started = performance.now();
    // Act
    await whenStepsQuiet(steps, QUIET_MS * 4);
    // Assess
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(QUIET_MS * 4 - 5);
    expect(waited).toBeLessThan(QUIET_MS * 8);
  });
});
