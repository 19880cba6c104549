import { describe, expect, it } from 'vitest';
import {
  FaultSchedule,
  FaultSpecError,
  parseFaultSpec,
  seededRandom,
} from '../../../../infra/local/openai-simulator/faults.js';

describe('simulator fault script', () => {
  it('parses the example script from the issue in order', () => {
    // Prepare
    const spec = '429@2,503,503,timeout,reset,quota,malformed,ok';

    // Act
    const plan = parseFaultSpec(spec);

    // Assess
    expect(plan.script).toEqual([
      { kind: 'rate_limit', retryAfter: { header: 'retry-after', value: 2 } },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
      { kind: 'timeout' },
      { kind: 'reset' },
      { kind: 'quota' },
      { kind: 'malformed' },
      { kind: 'ok' },
    ]);
    expect(plan.random).toEqual([]);
  });

  it('distinguishes retry-after in seconds from retry-after-ms, and a bare 429', () => {
    expect(parseFaultSpec('429ms@500, 429, 429@1.5').script).toEqual([
      { kind: 'rate_limit', retryAfter: { header: 'retry-after-ms', value: 500 } },
      { kind: 'rate_limit' },
      { kind: 'rate_limit', retryAfter: { header: 'retry-after', value: 1.5 } },
    ]);
  });

  it('expands repeats and reads refusals and error statuses', () => {
    expect(parseFaultSpec('502*3,refusal,refusal-message,500,504').script).toEqual([
      { kind: 'status', status: 502 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 502 },
      { kind: 'refusal' },
      { kind: 'refusal_message' },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 504 },
    ]);
  });

  it('treats an empty or blank script as no faults', () => {
    expect(parseFaultSpec('')).toEqual({ script: [], random: [] });
    expect(parseFaultSpec(undefined)).toEqual({ script: [], random: [] });
    expect(parseFaultSpec(' , ')).toEqual({ script: [], random: [] });
  });

  it.each([['teapot'], ['418'], ['429@'], ['p503=1.5'], ['503*0']])(
    'rejects the bad entry %s with a clear error',
    (spec) => {
      expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    },
  );

  it('plays scripted entries one per request, then answers normally', () => {
    // Prepare
    const schedule = new FaultSchedule(parseFaultSpec('503,quota'));

    // Act
    const played = [schedule.next(), schedule.next(), schedule.next(), schedule.next()].map((f) => f.kind);

    // Assess
    expect(played).toEqual(['status', 'quota', 'ok', 'ok']);
    expect(schedule.pending).toBe(0);
  });

  it('fires probabilistic faults at about their rate, reproducibly for a seed', () => {
    // Prepare
    const plan = parseFaultSpec('p503=0.2');
    const run = () => {
      const schedule = new FaultSchedule(plan, seededRandom(42));
      return Array.from({ length: 2000 }, () => schedule.next().kind);
    };

    // Act
    const first = run();
    const second = run();

    // Assess
    const rate = first.filter((kind) => kind === 'status').length / first.length;
    expect(rate).toBeGreaterThan(0.17);
    expect(rate).toBeLessThan(0.23);
    expect(second).toEqual(first);
  });

  it('plays the script before the probabilistic faults', () => {
    const schedule = new FaultSchedule(parseFaultSpec('p503=1,reset'));
    expect(schedule.next()).toEqual({ kind: 'reset' });
    expect(schedule.next()).toEqual({ kind: 'status', status: 503 });
  });
});

describe('simulator fault script, billing entries', () => {
  it('parses no-usage and reset-after-bill, and repeats an entry forty times with *40', () => {
    const plan = parseFaultSpec('503*40, no-usage, reset-after-bill');
    expect(plan.script).toHaveLength(42);
    expect(plan.script.slice(0, 40).every((fault) => fault.kind === 'status' && fault.status === 503)).toBe(
      true,
    );
    expect(plan.script.slice(40)).toEqual([{ kind: 'no_usage' }, { kind: 'reset_after_bill' }]);
  });
});
