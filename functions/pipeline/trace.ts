/**
 * The trace id an item carries end to end (outcome event, ledger items, audit records). In Lambda it is
 * the root of `_X_AMZN_TRACE_ID` (Step Functions with tracing passes one trace to every step of a run);
 * without X-Ray (the local stack) it is derived from the execution in X-Ray's own format, so the same
 * fields are filled and the same id names the same run everywhere.
 */
import { createHash } from 'node:crypto';
import type { PipelineState } from './document.js';

const XRAY_ROOT = /(?:^|;)Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)/;

export function xrayTraceRoot(header: string | undefined): string | undefined {
  return header ? XRAY_ROOT.exec(header)?.[1] : undefined;
}

/** `1-<epoch seconds, 8 hex>-<24 hex>`: the time the item was received and a hash of its execution. */
export function derivedTraceId(
  state: Pick<PipelineState, 'executionId' | 'receivedAt' | 'redriveOf'>,
): string {
  const received = Date.parse(state.receivedAt);
  const seconds = Math.floor((Number.isNaN(received) ? 0 : received) / 1000);
  const unique = createHash('sha256')
    .update(`${state.executionId}\n${state.redriveOf ?? ''}`)
    .digest('hex')
    .slice(0, 24);
  return `1-${seconds.toString(16).padStart(8, '0').slice(-8)}-${unique}`;
}

export function traceIdOf(
  state: Pick<PipelineState, 'executionId' | 'receivedAt' | 'redriveOf' | 'traceId'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return xrayTraceRoot(env._X_AMZN_TRACE_ID) ?? state.traceId ?? derivedTraceId(state);
}
