import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { stepDecision } from '../audit/decisions.js';
import type { DecisionLog } from '../audit/queue.js';
import type { PipelineState } from './document.js';
import type { Rejection } from './reasons.js';
import { traceIdOf } from './trace.js';

/**
 * One logger for every function. Log lines carry ids, hashes and codes; never object keys' user parts,
 * instructions, OCR text, transcripts or model answers (they may hold PII).
 */
export const logger = new Logger({ serviceName: 'mediagate' });
/** CloudWatch EMF metrics; off on the local stack (POWERTOOLS_METRICS_DISABLED=true). */
export const metrics = new Metrics({ namespace: 'Mediagate', serviceName: 'mediagate' });

/**
 * The ids of the step being run, per invocation. Not `logger.appendKeys`: the local stack runs many
 * invocations of several handlers in one process, and shared keys would label one step's line with
 * another's execution.
 */
const stepKeys = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/** Log lines that carry the current step's ids (ids, hashes, codes and counts only: never PII). */
export const stepLog = {
  info: (message: string, fields: Record<string, unknown> = {}) =>
    logger.info(message, { ...stepKeys.getStore(), ...fields }),
  error: (message: string, fields: Record<string, unknown> = {}) =>
    logger.error(message, { ...stepKeys.getStore(), ...fields }),
};

/** The part of the Lambda context a step may use; absent when the local runner calls the handler. */
export interface StepContext {
  getRemainingTimeInMillis(): number;
}

export interface StepOptions {
  /** Where the step's decision is recorded (functions/audit/queue.ts); a step that decides nothing ignores it. */
  readonly audit?: DecisionLog;
}

/** The decision a step queued early (`queueDecisionNow`), per invocation. */
interface DecisionSlot {
  readonly name: string;
  readonly audit: DecisionLog | undefined;
  early?: { readonly detail: string; readonly queued: Promise<void> };
}
const decisionSlots = new AsyncLocalStorage<DecisionSlot>();

/**
 * Queues the running step's audit decision now, beside the step's last writes, instead of after them: for a
 * step whose decision is settled before it writes (the document it will return is known). The step must
 * return a document with the same decision; runStep checks that, and a step that returns another fails,
 * since the queue keeps the first record of a decision id. A write failing after this fails the step, whose
 * retry queues the same decision again, which the chainer appends once.
 */
export function queueDecisionNow(next: PipelineState): Promise<void> {
  const slot = decisionSlots.getStore();
  if (!slot?.audit) return Promise.resolve();
  const decision = stepDecision(slot.name, next, new Date().toISOString());
  if (!decision) return Promise.resolve();
  const queued = slot.audit.append(decision);
  slot.early = { detail: JSON.stringify(decision.detail), queued };
  return queued;
}

export function pipelineStep(
  name: string,
  run: (state: PipelineState, context?: StepContext) => Promise<PipelineState>,
  options: StepOptions = {},
): (state: PipelineState, context?: StepContext) => Promise<PipelineState> {
  return (input, context) => {
    const state = { ...input, traceId: traceIdOf(input) };
    return stepKeys.run(
      {
        step: name,
        executionId: state.executionId,
        tenant: state.tenant,
        objectKeyHash: state.objectKeyHash,
        traceId: state.traceId,
      },
      () => runStep(name, run, state, context, options),
    );
  };
}

/** A metric with its own dimensions, published at once (the step's metrics carry only `step`). */
export function publishMetric(
  name: string,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  value: number,
  dimensions: Record<string, string> = {},
): void {
  const metric = metrics.singleMetric();
  for (const [key, dimension] of Object.entries(dimensions)) metric.addDimension(key, dimension);
  metric.addMetric(name, unit, value);
}

const TERMINAL = new Set(['processed', 'rejected', 'budget_exceeded']);

/**
 * The metrics the dashboard reads (names agreed with docs/operations.md), all derived from the document
 * before and after the step, so every runtime of the step emits the same ones.
 */
function documentMetrics(name: string, before: PipelineState, after: PipelineState, ms: number): void {
  publishMetric('StepLatency', MetricUnit.Milliseconds, ms, { Step: name });
  // An item ends in the step that makes it terminal; a billed rejection passing through RecordCost already had.
  if (TERMINAL.has(after.status) && !TERMINAL.has(before.status)) {
    publishMetric('ItemsByOutcome', MetricUnit.Count, 1, { Outcome: after.status });
  }
  if (name === 'ValidateAndStrip') publishMetric('BytesIn', MetricUnit.Bytes, after.sizeBytes);
  if (after.processed && !before.processed) {
    publishMetric('BytesOut', MetricUnit.Bytes, after.processed.bytes);
    const tokens = after.processed.imageTokens;
    if (tokens) publishMetric('TokensSaved', MetricUnit.Count, Math.max(0, tokens.before - tokens.after));
  }
  if (after.model?.cached && !before.model?.cached) publishMetric('CacheHit', MetricUnit.Count, 1);
  if (name === 'RecordCost' && after.cost?.written) {
    publishMetric('CostMicroUsd', MetricUnit.Count, after.cost.costMicroUsd, { Tenant: after.tenant });
  }
}

/** Wraps a step so every outcome carries its timing and every failure is counted. */
async function runStep(
  name: string,
  run: (state: PipelineState, context?: StepContext) => Promise<PipelineState>,
  state: PipelineState,
  context: StepContext | undefined,
  options: StepOptions,
): Promise<PipelineState> {
  const started = performance.now();
  let next: PipelineState;
  try {
    const slot: DecisionSlot = { name, audit: options.audit };
    next = await decisionSlots.run(slot, () => run(state, context));
    // The decision is queued before the step returns: a failed write fails the step, whose retry queues
    // the same decision id again, which the chainer appends once (functions/audit/queue.ts).
    const decision = options.audit ? stepDecision(name, next, new Date().toISOString()) : undefined;
    if (slot.early) {
      await slot.early.queued;
      if (JSON.stringify(decision?.detail) !== slot.early.detail)
        throw new Error(`${name} queued a decision early that its result does not bear out`);
    } else if (decision) await options.audit?.append(decision);
  } catch (error) {
    // Outages and bugs: counted, logged without the document, and rethrown for Retry/Catch.
    metrics.addDimension('step', name);
    metrics.addMetric('StepErrors', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    stepLog.error('step failed', {
      errorName: (error as Error).name,
      errorMessage: (error as Error).message,
    });
    throw error;
  }
  const ms = Math.round(performance.now() - started);
  metrics.addDimension('step', name);
  metrics.addMetric(
    next.status === 'in_progress' || next.status === 'processed' ? 'StepCompleted' : 'StepRejected',
    MetricUnit.Count,
    1,
  );
  metrics.publishStoredMetrics();
  documentMetrics(name, state, next, ms);
  stepLog.info('step finished', { status: next.status, reason: next.reason, ms });
  return { ...next, steps: [...(state.steps ?? []), { name, ms }] };
}

export function rejected(
  state: PipelineState,
  rejection: Rejection,
  sections: Partial<PipelineState> = {},
): PipelineState {
  return {
    ...state,
    ...sections,
    status: rejection.reason === 'BUDGET_EXCEEDED' ? 'budget_exceeded' : 'rejected',
    reason: rejection.reason,
    message: rejection.message,
  };
}

/** Keys the pipeline writes, derived from the execution so a retried step overwrites rather than duplicates. */
export const objectKeys = {
  sanitized: (state: PipelineState) => `sanitized/${state.tenant}/${state.executionId}`,
  processed: (state: PipelineState) => `processed/${state.tenant}/${state.executionId}`,
  redacted: (state: PipelineState) => `redacted/${state.tenant}/${state.executionId}`,
  /** Page `n` (1-based) of a document under a step's key: page 1 is the key itself. */
  page: (key: string, n: number) => (n === 1 ? key : `${key}-p${n}`),
  /** A document's text layer, next to its pages. */
  textLayer: (key: string) => `${key}-text.json`,
  prompt: (state: PipelineState) => `prompts/${state.tenant}/${state.executionId}.txt`,
  /** Amazon Transcribe's output for DlpCheck, in the results bucket (Macie scans it with the answers). */
  transcript: (state: PipelineState) => `transcripts/${state.tenant}/${state.executionId}.json`,
  result: (state: PipelineState) => `results/${state.tenant}/${state.executionId}.json`,
  quarantine: (state: PipelineState, reason: string) =>
    `quarantine/${state.tenant}/${state.executionId}/${reason}`,
};
