/**
 * Stable reason codes. They reach outcome events and the CLI; consumers branch on them,
 * so a code is never renamed or reused for another meaning.
 */
export const REJECTION_REASONS = [
  'EMPTY',
  'TOO_LARGE',
  'TYPE_MISMATCH',
  'UNSUPPORTED_TYPE',
  'CORRUPT',
  'ENCRYPTED',
  'LIMIT_EXCEEDED',
  'PII_BLOCKED',
  'AUDIO_NOT_SCANNED',
  'UNKNOWN_TASK',
  'BUDGET_EXCEEDED',
  'INVALID_MODEL_OUTPUT',
  'MODEL_REFUSED',
  'MODEL_REQUEST_INVALID',
  'TENANT_SUSPENDED',
  'TASK_NOT_ALLOWED',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Failures that are not the user's fault; they end an execution as `failed`. */
export const FAILURE_REASONS = [
  'MODEL_UNAVAILABLE',
  'MODEL_QUOTA_EXHAUSTED',
  'MODEL_AUTH_FAILED',
  'MODEL_FORBIDDEN',
  'MODEL_NOT_FOUND',
  'UNPRICED_MODEL',
  'TRANSCRIPTION_FAILED',
  'TRANSCRIPTION_PENDING',
  'RATE_LIMITED',
  'BUDGET_PENDING',
  'INTERNAL_ERROR',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** A rejection as a value: the user's input (or policy) said no. */
export interface Rejection {
  readonly reason: RejectionReason;
  /** Human-readable, never contains user content or PII. */
  readonly message: string;
}

export function reject(reason: RejectionReason, message: string): Rejection {
  return { reason, message };
}

/**
 * Thrown for outages that the state machine should retry or park (its Retry matches on `name`).
 * Exceptions are for outages and bugs; user-caused problems are `Rejection` values.
 */
export class TransientStepError extends Error {
  constructor(
    readonly code: FailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // The state machine's Retry/Catch match on the error name, so it is part of the contract.
    this.name = 'MediagateTransient';
  }
}

/**
 * Thrown while an Amazon Transcribe job is still running: the state machine waits (Retry on this name,
 * minutes of patience) and calls the step again, which picks the same job up, instead of a Lambda
 * sitting in a polling loop.
 */
export class TranscriptionPendingError extends Error {
  readonly code = 'TRANSCRIPTION_PENDING';
  constructor(message: string) {
    super(message);
    this.name = 'TranscriptionPending';
  }
}

/** Thrown while the model route is unavailable: the state machine parks the item and retries later. */
export class ModelUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelUnavailable';
  }
}

/**
 * Thrown when an item may not call the model yet but will be admitted later: its tenant's rate limit (or
 * the organisation's for the route) is spent for now (`RateLimited`), or other items' open budget
 * reservations fill the cap while settled spend leaves room (`BudgetPending`). The Standard workflow parks
 * the item as it does through an outage; the synchronous API answers `429` with `Retry-After`.
 */
export class AdmissionDeferredError extends Error {
  constructor(
    readonly code: 'RATE_LIMITED' | 'BUDGET_PENDING',
    readonly retryAfterMs: number,
    message: string,
  ) {
    // The wait travels in the message: Step Functions keeps only the error's name and message.
    super(`${message} (retryAfterMs=${Math.max(1, Math.ceil(retryAfterMs))})`);
    this.name = code === 'RATE_LIMITED' ? 'RateLimited' : 'BudgetPending';
  }
}

/** The `retryAfterMs=N` an AdmissionDeferredError put in its message (or in a Catch's `Cause`), if any. */
export function retryAfterMsOf(text: string | undefined): number | undefined {
  const match = /retryAfterMs=(\d+)/.exec(text ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Thrown for non-retryable failures that are not the user's fault (bad config, unpriced model, OpenAI
 * quota or auth). The error's name is its stable code: Step Functions puts the name into the Catch
 * output (`$.failure.Error`), which is how the code reaches the `Media Failed` event (Lambda drops
 * other fields of an error).
 */
export class PermanentStepError extends Error {
  constructor(
    readonly code: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}
