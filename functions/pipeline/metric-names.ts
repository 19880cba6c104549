/**
 * The pipeline's CloudWatch metrics: the contract between the functions that emit them (EMF, through
 * Powertools Metrics in step.ts) and the alarms and dashboard that read them
 * (infra/constructs/pipeline-alarms.ts, pipeline-dashboard.ts; docs/operations.md). CloudWatch matches a
 * metric by its exact dimension set, so every one carries `service=mediagate` (Powertools' default
 * dimension) plus at most the one dimension named here.
 */
export const METRIC_NAMESPACE = 'Mediagate';
export const METRIC_SERVICE_DIMENSION = { service: 'mediagate' } as const;

export const PIPELINE_METRICS = {
  /** Count, 1 per finished item; dimension `Outcome` = a final PipelineStatus. */
  itemsByOutcome: { name: 'ItemsByOutcome', dimension: 'Outcome' },
  /** Milliseconds one step took; dimension `Step` = the state name (ValidateAndStrip, …). */
  stepLatency: { name: 'StepLatency', dimension: 'Step' },
  /** 1 per result-cache lookup that hit, 0 per miss: the average is the hit rate. */
  cacheHit: { name: 'CacheHit' },
  /** Input tokens preprocessing saved (estimate of the original minus the model-ready file). */
  tokensSaved: { name: 'TokensSaved' },
  /** Micro-dollars charged to a tenant; dimension `Tenant`. */
  costMicroUsd: { name: 'CostMicroUsd', dimension: 'Tenant' },
  /** Emitted on every breaker transition: 1 when a route's breaker opens (or half-opens), 0 when it closes. */
  breakerOpen: { name: 'BreakerOpen', dimension: 'Route' },
  /** Bytes of the upload a step read, and of the model-ready file it wrote. */
  bytesIn: { name: 'BytesIn' },
  bytesOut: { name: 'BytesOut' },
} as const;

/** The outcomes an item ends with (the `Outcome` dimension's values). */
export const FINAL_OUTCOMES = ['processed', 'rejected', 'failed', 'budget_exceeded'] as const;
/** The pipeline's steps (the `Step` dimension's values), in order. */
export const PIPELINE_STEP_NAMES = [
  'ValidateAndStrip',
  'Preprocess',
  'DlpCheck',
  'InvokeModel',
  'RecordCost',
] as const;
