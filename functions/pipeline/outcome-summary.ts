import type { PipelineState } from './document.js';

/** What a caller is told about one item: the fields of `mediagate run --json` and of `POST /v1/analyze`. */
export interface OutcomeSummary {
  readonly key: string | null;
  readonly status: 'processed' | 'rejected' | 'failed' | 'budget_exceeded';
  readonly reason: string | null;
  readonly message: string | null;
  readonly model: string | null;
  readonly requestId: string | null;
  /** The item's trace id (functions/pipeline/trace.ts), as in the ledger and the audit trail. */
  readonly traceId: string | null;
  readonly cached: boolean;
  readonly tokens: { readonly prompt: number; readonly completion: number } | null;
  readonly costMicroUsd: number;
  /** `estimate` when the provider's answer had no usage and the pre-flight estimate was charged. */
  readonly costSource: 'usage' | 'estimate' | null;
  readonly steps: readonly { readonly name: string; readonly ms: number }[];
  /** Milliseconds the item was parked waiting for admission (rate limit, open reservations); 0 if none. */
  readonly waitedMs: number;
  /** `page` (1-based) on findings in a document's pages. */
  readonly findings: readonly { readonly type: string; readonly action: string; readonly page?: number }[];
  /** Documents (PDF): how many pages were rendered and sent; absent for single images and audio. */
  readonly pages?: number;
}

/** A failed step's stable code travels as its error name (`PermanentStepError`); anything else is internal. */
function failureCode(state: PipelineState): string {
  const name = state.failure?.Error;
  return name && /^[A-Z][A-Z0-9_]+$/.test(name) ? name : 'INTERNAL_ERROR';
}

/** Types and actions only: no finding's value, no OCR text, no answer. */
export function summarizeOutcome(key: string | null, state: PipelineState): OutcomeSummary {
  const status = state.status === 'in_progress' ? 'failed' : state.status;
  return {
    key,
    status,
    reason:
      status === 'processed' ? null : (state.reason ?? (status === 'failed' ? failureCode(state) : null)),
    message: state.message ?? state.failure?.Error ?? null,
    model: state.model?.model ?? null,
    requestId: state.model?.requestIds.at(-1) ?? null,
    traceId: state.traceId ?? null,
    cached: state.model?.cached ?? false,
    tokens: state.model
      ? { prompt: state.model.usage.promptTokens, completion: state.model.usage.completionTokens }
      : null,
    costMicroUsd: state.cost?.costMicroUsd ?? 0,
    costSource: state.cost ? (state.model?.costSource ?? 'usage') : null,
    steps: state.steps ?? [],
    waitedMs: state.admission?.waitedMs ?? 0,
    findings: (state.dlp?.findings ?? []).map((finding) => ({
      type: finding.type,
      action: finding.action,
      ...(finding.page === undefined ? {} : { page: finding.page }),
    })),
    ...(state.media?.pages === undefined ? {} : { pages: state.media.pages }),
  };
}
