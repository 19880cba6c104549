/**
 * The document that flows through the state machine. Every step receives it whole and returns it
 * with its own section filled in; the final document is the `detail` of the outcome event, so this
 * file is the public contract with the workflows that consume those events. It never holds media
 * bytes, PII values or secrets: only keys, hashes, counts and codes.
 */
import type { HeldReservation, PiiEntityType } from '../ports.js';
import type { RejectionReason } from './reasons.js';

export type PipelineStatus = 'in_progress' | 'processed' | 'rejected' | 'failed' | 'budget_exceeded';

export const OUTCOME_SOURCE = 'mediagate';
export const OUTCOME_DETAIL_TYPES = {
  processed: 'Media Processed',
  rejected: 'Media Rejected',
  failed: 'Media Failed',
} as const;

/** The step a redriven item resumes at: every step before it already ran, and was paid for, once. */
export const RESUMABLE_STEP = 'InvokeModel';

/** Reasons the synchronous workflow gives instead of parking (the API answers 503 with Retry-After). */
export const UNAVAILABLE_NOW_REASONS = {
  model: 'MODEL_UNAVAILABLE',
  transcription: 'TRANSCRIPTION_PENDING',
} as const;

/**
 * Errors an item waits out (the step's error names, functions/pipeline/reasons.ts) and the reason it
 * ends with when it cannot: the Standard workflow parks on them; the synchronous API answers `429`.
 */
export const ADMISSION_DEFERRALS = {
  RateLimited: 'RATE_LIMITED',
  BudgetPending: 'BUDGET_PENDING',
} as const;

/** Set by the state machine on an item that failed for a reason a redrive can cure (an outage, a quota). */
export interface RedriveMark {
  readonly redrivable: true;
  readonly resumeAt: typeof RESUMABLE_STEP;
}

/** What the starter puts into each execution. */
export interface ExecutionInput {
  readonly executionId: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly sizeBytes: number;
  readonly tenant: string;
  /** SHA-256 of bucket/key/version: lets logs and the ledger refer to an object without naming it. */
  readonly objectKeyHash: string;
  readonly receivedAt: string;
  /**
   * X-Ray trace id (`1-…`) of the run, set by the first step: the Lambda's `_X_AMZN_TRACE_ID` root in AWS,
   * where Step Functions passes one trace to every step; on the local stack, which has no X-Ray, an id in
   * the same format derived from the execution. Carried into the ledger items and audit records.
   */
  readonly traceId?: string;
}

export interface StepTiming {
  readonly name: string;
  readonly ms: number;
}

export interface MediaSection {
  readonly kind: 'image' | 'audio';
  readonly inputType: string;
  readonly declaredType?: string;
  readonly sanitizedKey: string;
  readonly removed: readonly string[];
  /** Images: the upload's size as displayed (the clean copy may be smaller; see CLEAN_COPY_MAX_SIDE). */
  readonly sourceWidth?: number;
  readonly sourceHeight?: number;
  /** Documents (PDF): how many pages were rendered, one image each. Absent for single images. */
  readonly pages?: number;
  /** Documents: each page's clean image, in page order (the first is `sanitizedKey`). */
  readonly pageKeys?: readonly string[];
  /**
   * Documents with a text layer: the object holding each page's text and line boxes (JSON), which DLP
   * scans beside the OCR. It can hold PII, so it stays in the processed bucket and never in the event.
   */
  readonly textLayerKey?: string;
  /** SHA-256 of the clean copy (functions/media/content-hash.ts): the media in the result cache's key. */
  readonly sha256?: string;
  /**
   * The result-cache key ValidateAndStrip looked up (a hash of media, instructions, task and policy
   * version), so InvokeModel need not read the instructions again to store the answer under it.
   */
  readonly question?: { readonly cacheKey: string; readonly policyVersion: string; readonly taskId: string };
  /** ValidateAndStrip looked this item up in the result cache and missed: InvokeModel need not look again. */
  readonly cacheMissed?: boolean;
  /** A tenant's hash of the instructions (functions/dlp/verdict-cache.ts): DlpCheck's verdict key, never the text. */
  readonly instructionsFingerprint?: string;
}

/** One page of a document, model-ready. */
export interface ProcessedPage {
  readonly key: string;
  readonly mime: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
  readonly imageTokens?: { readonly before: number; readonly after: number };
}

export interface ProcessedSection {
  readonly key: string;
  readonly mime: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly width?: number;
  readonly height?: number;
  readonly durationSec?: number;
  /** For a document, the sum over its pages: each page is an image the model is billed for. */
  readonly imageTokens?: { readonly before: number; readonly after: number };
  /**
   * Documents: every page (the fields above describe the first, except `sha256`, which covers all pages
   * in order, and `imageTokens`, which sums them).
   */
  readonly pages?: readonly ProcessedPage[];
  /** Documents with a text layer: the copy DlpCheck reads (see MediaSection.textLayerKey). */
  readonly textLayerKey?: string;
}

export interface DlpSection {
  readonly detector: string;
  readonly decision: 'allow' | 'redact' | 'block';
  readonly findings: readonly {
    readonly type: PiiEntityType;
    readonly source: 'instructions' | 'ocr' | 'text_layer' | 'transcript';
    /** Documents: the page (1-based) the finding is on. */
    readonly page?: number;
    readonly score: number;
    readonly start: number;
    readonly end: number;
    readonly action: 'allow' | 'redact' | 'block';
  }[];
  readonly transcriptScanned?: boolean;
  readonly ocrScanned?: boolean;
  /** Key of the media the model receives (the redacted copy when something was painted out). */
  readonly modelInputKey: string;
  /** Documents: what the model receives for each page, in order (redacted copies where needed). */
  readonly modelInputKeys?: readonly string[];
  /** Object holding the instructions after redaction (placeholders such as <SSN_1> replace values); kept out of the event because allowed PII may remain in it. */
  readonly promptKey: string;
  readonly policyVersion: string;
  /** Language the policy asked the detectors for (`en`, `es` or `auto`). */
  readonly language?: string;
  /** The verdict of an earlier scan of the same media and instructions under this policy version. */
  readonly verdictReused?: boolean;
  /**
   * AWS requests this step paid for and the units they were billed in, per service; each service used
   * is one ledger item `<executionId>#DlpCheck#<service>`. Absent offline, where nothing is billed.
   */
  readonly billing?: Readonly<
    Partial<
      Record<'comprehend' | 'textract' | 'transcribe', { readonly requests: number; readonly units: number }>
    >
  >;
}

export interface ModelSection {
  readonly taskId: string;
  readonly taskVersion: string;
  readonly route: string;
  readonly model: string;
  readonly requestIds: readonly string[];
  /**
   * False when no model call of this section was billed (a rejection after only the transcription was);
   * the ledger then gets the transcription item alone. Absent means true.
   */
  readonly modelCallBilled?: boolean;
  /** The answer in the results bucket; absent when the item was rejected. */
  readonly resultKey?: string;
  readonly cached: boolean;
  readonly attempts: number;
  readonly usage: {
    readonly promptTokens: number;
    readonly cachedPromptTokens: number;
    readonly audioPromptTokens: number;
    readonly completionTokens: number;
    readonly audioCompletionTokens: number;
  };
  readonly estimateMicroUsd: number;
  /** `estimate` when the provider's answer carried no usage: `usage` then holds the estimate's tokens. */
  readonly costSource?: 'usage' | 'estimate';
  /** Budget reserved before the first billed call (the pre-flight estimate); settled by RecordCost. */
  readonly reservation?: {
    readonly id: string;
    readonly amountMicroUsd: number;
    /** The reservation as InvokeModel wrote it, so RecordCost settles it without reading it first. */
    readonly held?: HeldReservation;
  };
  /** Routes passed over before the one that answered, and why (breaker open, costlier, retries spent). */
  readonly skipped?: readonly { readonly route: string; readonly why: string }[];
  /** The speech-to-text call of an `audioMode: 'transcribe'` task: a billable event of its own. */
  readonly transcription?: {
    readonly route: string;
    readonly model: string;
    readonly requestIds: readonly string[];
    readonly usage: ModelSection['usage'];
    readonly estimateMicroUsd: number;
    readonly costSource?: 'usage' | 'estimate';
  };
}

export interface CostSection {
  readonly ledgerId: string;
  /** Every ledger item of this step (the model call, and the transcription when there was one). */
  readonly ledgerIds?: readonly string[];
  readonly costMicroUsd: number;
  readonly priceTableVersion: string;
  readonly written: boolean;
}

export interface PipelineState extends ExecutionInput {
  status: PipelineStatus;
  reason?: RejectionReason | string;
  message?: string;
  task?: string;
  /**
   * The DLP policy the tenant's registry record named when the item entered (ValidateAndStrip), so every
   * step of one item applies the same policy even if an operator changes it meanwhile.
   */
  dlpPolicy?: string;
  steps: StepTiming[];
  media?: MediaSection;
  processed?: ProcessedSection;
  dlp?: DlpSection;
  model?: ModelSection;
  cost?: CostSection;
  /**
   * How long the item waited to be admitted to the model (its tenant's rate limit, the organisation's,
   * or other items' open budget reservations), parked by the state machine (0 when it never waited), and
   * when it was let through; absent when the item never reached admission (a cache hit, a rejection).
   */
  admission?: { readonly waitedMs: number; readonly admittedAt: string };
  /** Set by the state machine's Catch: `{ Error, Cause }` of the step that broke. */
  failure?: { Error: string; Cause?: string };
  /** Present on a failed item that `mediagate redrive` can bring back. */
  redrive?: RedriveMark;
  /** On a redriven document: the step it enters at, and the execution it continues. */
  resumeAt?: typeof RESUMABLE_STEP;
  redriveOf?: string;
}
