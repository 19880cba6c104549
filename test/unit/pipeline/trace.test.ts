import { describe, expect, it } from 'vitest';
import { traceIdOf, xrayTraceRoot } from '../../../functions/pipeline/trace.js';

const item = { executionId: 'mg-abc', receivedAt: '2026-12-02T10:00:00.000Z' };

describe('traceIdOf', () => {
  it("takes the root of Lambda's _X_AMZN_TRACE_ID, wherever the field stands in the header", () => {
    const root = '1-5759e988-bd862e3fe1be46a994272793';
    expect(xrayTraceRoot(`Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`)).toBe(root);
    expect(xrayTraceRoot(`Parent=53995c3f42cd8ad8;Root=${root};Sampled=0`)).toBe(root);
    expect(xrayTraceRoot('Root=not-a-trace;Sampled=1')).toBeUndefined();
    expect(
      traceIdOf(
        { ...item, traceId: '1-00000000-000000000000000000000000' },
        { _X_AMZN_TRACE_ID: `Root=${root}` },
      ),
    ).toBe(root);
  });

  it('without X-Ray keeps the id the item carries, or derives one from the received time and the run', () => {
    expect(traceIdOf({ ...item, traceId: '1-6b1024f2-aaaaaaaaaaaaaaaaaaaaaaaa' }, {})).toBe(
      '1-6b1024f2-aaaaaaaaaaaaaaaaaaaaaaaa',
    );
    const derived = traceIdOf(item, {});
    // 2026-12-02T10:00:00Z is 0x6b0fec20 seconds after the epoch.
    expect(derived).toMatch(/^1-6b0fec20-[0-9a-f]{24}$/);
    expect(traceIdOf(item, {})).toBe(derived);
    expect(traceIdOf({ ...item, redriveOf: 'arn:…:mg-abc' }, {})).not.toBe(derived);
  });
});
