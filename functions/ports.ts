/**
 * Ports: the only way domain code reaches storage, models and detectors.
 * Adapters live in `functions/adapters/`; `config.ts` is the one place that chooses them.
 */

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly versionId?: string;
}

export interface BlobStore {
  get(bucket: string, key: string, versionId?: string): Promise<StoredObject>;
  /** Content type and user metadata without the body. */
  head(bucket: string, key: string, versionId?: string): Promise<Omit<StoredObject, 'body'>>;
  put(
    bucket: string,
    key: string,
    body: Buffer,
    options?: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<void>;
  /** Server-side copy (used to move originals into quarantine without passing them on). */
  copy(
    from: { bucket: string; key: string; versionId?: string },
    to: { bucket: string; key: string },
  ): Promise<void>;
}

export type PiiEntityType =
  | 'CREDIT_DEBIT_NUMBER'
  | 'SSN'
  | 'IBAN'
  | 'EMAIL'
  | 'PHONE'
  | 'IP_ADDRESS'
  | 'PASSPORT_NUMBER'
  | 'DRIVER_ID'
  | 'DATE_OF_BIRTH'
  | 'BANK_ROUTING'
  | 'AWS_ACCESS_KEY'
  | 'AWS_SECRET_KEY'
  | 'NAME'
  | 'ADDRESS'
  | 'OTHER';

export interface PixelBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A PII finding. Never carries the matched value: only where it is. */
export interface PiiFinding {
  readonly type: PiiEntityType;
  readonly score: number;
  /** Character span [start, end) in the scanned text. */
  readonly start: number;
  readonly end: number;
  /** For OCR text: the image boxes of the words the span covers. */
  readonly boxes?: readonly PixelBox[];
}

/** An AWS service DlpCheck pays for per request. */
export type BilledService = 'comprehend' | 'textract' | 'transcribe';

/**
 * One billed request as the adapter sent it. `quantity` is what the price table counts: characters
 * sent (comprehend), pages (textract), seconds of audio (transcribe); minimums apply per request.
 */
export interface BilledRequest {
  readonly service: BilledService;
  readonly quantity: number;
  readonly requestId?: string;
}

/** Where adapters report each billed request; offline adapters bill nothing and never call it. */
export interface UsageMeter {
  record(request: BilledRequest): void;
}

export interface PiiDetector {
  readonly name: string;
  /** `languageCode`: `en`, `es` (or a locale such as `es-US`), or `auto` to detect it first. */
  detect(
    text: string,
    options?: {
      languageCode?: string;
      meter?: UsageMeter;
      /** Regions (ISO 3166 alpha-2) whose national phone numbers the tenant's policy wants read. */
      phoneRegions?: readonly string[];
    },
  ): Promise<PiiFinding[]>;
}

export interface OcrWord {
  readonly text: string;
  /** Offset of the word in `OcrResult.text`. */
  readonly start: number;
  readonly box: PixelBox;
}

export interface OcrResult {
  readonly text: string;
  readonly words: readonly OcrWord[];
}

export interface Ocr {
  readonly name: string;
  recognize(image: Buffer, options?: { meter?: UsageMeter }): Promise<OcrResult>;
}

export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

export interface TranscriptionRequest {
  /** Where the audio is stored: Amazon Transcribe reads it from S3 itself, so the data stays in the account. */
  readonly audio: ObjectLocation;
  /** The same audio, for recognisers that run in-process. */
  readonly bytes: Buffer;
  readonly mime: string;
  /** Deterministic per execution, so a retried step finds the job the first attempt started. */
  readonly jobName: string;
  /** Where a batch recogniser writes the transcript JSON (our own bucket, encrypted with our key). */
  readonly output: ObjectLocation;
  /** `en`, `es` or `auto` (identify among them). @default 'en' */
  readonly languageCode?: string;
  /** Length of the audio as Preprocess measured it: what Transcribe bills. */
  readonly durationSec?: number;
  readonly meter?: UsageMeter;
}

export interface Transcript {
  readonly text: string;
  /** Seconds of audio transcribed. */
  readonly seconds: number;
  /** The language the recogniser used or identified (e.g. `es-US`), when it says. */
  readonly languageCode?: string;
}

export interface Transcriber {
  readonly name: string;
  /** Returns null when no recogniser is available (the outcome then says the transcript was not scanned). */
  transcribe(request: TranscriptionRequest): Promise<Transcript | null>;
}

export interface OutcomeEvent {
  readonly detailType: 'Media Processed' | 'Media Rejected' | 'Media Failed' | string;
  readonly detail: unknown;
}

export interface EventPublisher {
  publish(event: OutcomeEvent): Promise<void>;
}

/** Starts one workflow per uploaded object version; a repeated name starts nothing new. */
export interface WorkflowStarter {
  start(name: string, input: unknown): Promise<{ started: boolean; executionId: string }>;
}

export type ImageDetail = 'low' | 'high' | 'auto';

export type ModelMedia =
  | {
      readonly kind: 'image';
      readonly mime: string;
      readonly bytes: Buffer;
      readonly detail: ImageDetail;
      /** Pages 2…n of a document, each sent as an image of its own after the first. */
      readonly morePages?: readonly { readonly mime: string; readonly bytes: Buffer }[];
    }
  | { readonly kind: 'audio'; readonly format: 'wav' | 'mp3'; readonly bytes: Buffer };

export interface ModelCallRequest {
  readonly model: string;
  readonly instructions: string;
  readonly media?: ModelMedia;
  /** Structured Outputs: the answer must fit this JSON schema. */
  readonly responseSchema?: { readonly name: string; readonly schema: Record<string, unknown> };
  readonly maxOutputTokens: number;
}

/** Token buckets as OpenAI bills them. `cachedPromptTokens` and `audioPromptTokens` are subsets of `promptTokens`. */
export interface ModelUsage {
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  readonly audioPromptTokens: number;
  readonly completionTokens: number;
  readonly audioCompletionTokens: number;
}

/** No tokens: a cache hit, or a rejection before anything was billed. */
export const ZERO_USAGE: ModelUsage = {
  promptTokens: 0,
  cachedPromptTokens: 0,
  audioPromptTokens: 0,
  completionTokens: 0,
  audioCompletionTokens: 0,
};

/** What the provider said of the organisation's limits on this route (`x-ratelimit-*` headers). */
export interface ObservedRateLimits {
  readonly limitRequests?: number;
  readonly remainingRequests?: number;
  readonly resetRequestsMs?: number;
  readonly limitTokens?: number;
  readonly remainingTokens?: number;
  readonly resetTokensMs?: number;
}

export interface ModelCallResult {
  /** The provider's `x-ratelimit-*` headers, when it sent them. */
  readonly rateLimits?: ObservedRateLimits;
  readonly text: string;
  readonly model: string;
  readonly requestId: string | null;
  /** Zeros when `usageMissing`: the provider billed the call but did not say for what. */
  readonly usage: ModelUsage;
  /** The answer carried no `usage`; the ledger then prices the call from its pre-flight estimate. */
  readonly usageMissing?: boolean;
}

export type ModelErrorKind = 'retryable' | 'quota' | 'auth' | 'invalid' | 'refused';

/** What a failed model call means for us; the adapter maps HTTP statuses and SDK errors onto it. */
export class ModelCallError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly details: {
      status?: number;
      retryAfterMs?: number;
      requestId?: string | null;
      /** Set when the provider answered (and billed) but the answer is unusable, e.g. a refusal. */
      billed?: { readonly model: string; readonly usage: ModelUsage; readonly usageMissing?: boolean };
      /**
       * The request may have reached the model, and so may be billed, but no usable answer came back (a
       * timeout or reset after sending, a 200 whose body was cut off): unconfirmed exposure, never a charge.
       */
      outcomeUnknown?: boolean;
      /** The provider's `x-ratelimit-*` headers on the failed answer (a 429 carries them). */
      rateLimits?: ObservedRateLimits;
    } = {},
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
}

export interface ModelClient {
  /** One attempt, no retries inside: the caller's policy sees every attempt. */
  call(request: ModelCallRequest): Promise<ModelCallResult>;
}

export type LedgerEntryKind =
  | 'model_call'
  | 'cache_hit'
  | 'ocr'
  | 'transcription'
  | 'dlp'
  /** An attempt whose outcome is unknown (timeout, reset, cut-off body): exposure, charged at 0. */
  | 'unconfirmed_attempt';

/** One billable event. Money is integer micro-USD; time is ISO-8601 UTC. */
export interface LedgerEntry {
  /** Deterministic (execution + step + attempt identity) so a retry cannot write a second item. */
  readonly id: string;
  readonly tenant: string;
  readonly task: string;
  readonly kind: LedgerEntryKind;
  readonly model: string;
  readonly route: string;
  readonly priceTableVersion: string;
  readonly tokens: {
    readonly textIn: number;
    readonly cachedIn: number;
    readonly imageIn: number;
    readonly audioIn: number;
    readonly textOut: number;
    readonly audioOut: number;
  };
  /** Other billable units (Comprehend units, Textract pages, Transcribe seconds). */
  readonly units?: Readonly<Record<string, number>>;
  readonly costMicroUsd: number;
  /**
   * `usage`: priced from the tokens the provider reported; `estimate`: the provider billed but reported
   * no usage, so the pre-flight estimate (which never falls short of the bill) is charged. @default usage
   */
  readonly costSource?: 'usage' | 'estimate';
  /** For `unconfirmed_attempt`: what the attempt costs if the provider did bill it (its pre-flight estimate). */
  readonly exposureMicroUsd?: number;
  readonly estimateMicroUsd?: number;
  readonly requestIds: readonly string[];
  readonly executionId: string;
  readonly objectKeyHash: string;
  /** X-Ray trace id of the run that wrote it (functions/pipeline/trace.ts). */
  readonly traceId?: string;
  readonly createdAt: string;
}

export interface Ledger {
  /** Writes the entry once; a second call with the same id writes nothing and says so. */
  record(entry: LedgerEntry): Promise<{ written: boolean }>;
}

// ---- Model call: the breaker's shared record and the result cache. ----

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerRecord {
  readonly route: string;
  readonly state: BreakerState;
  /** Bumped by every state change; changes are conditional on it. 0 for a route never written. */
  readonly version: number;
  readonly consecutiveFailures: number;
  readonly windowStartMs: number;
  readonly windowRequests: number;
  readonly windowFailures: number;
  /** Epoch ms when an open route may take a probe; 0 unless open. */
  readonly openUntilMs: number;
  /** Opens since the last close: the cool-down doubles with each. */
  readonly reopenCount: number;
  /** Epoch ms when the probe lease lapses; 0 without a probe. */
  readonly probeLeaseUntilMs: number;
  readonly probeLease?: string;
}

/** Port; the DynamoDB adapter is `functions/adapters/dynamodb-breaker-store.ts`. */
export interface BreakerStore {
  /** The stored record, or undefined for a route never written (or whose record has expired). */
  read(route: string): Promise<BreakerRecord | undefined>;
  /**
   * Atomically counts one result in the window starting at `windowStartMs` (starting a fresh window when
   * the stored one is older) and returns the record as it is after the update. Does not change `version`.
   */
  count(
    route: string,
    result: { readonly success: boolean; readonly windowStartMs: number },
  ): Promise<BreakerRecord>;
  /** Writes `next` only if the stored version is still `expectedVersion`; false when another writer won. */
  transition(next: BreakerRecord, expectedVersion: number): Promise<boolean>;
}

export interface CachedResult {
  readonly text: string;
  readonly model: string;
  readonly route: string;
  /** Request ids of the call that produced the answer (for tracing a cached answer to its origin). */
  readonly requestIds: readonly string[];
  readonly createdAt: string;
}

/** Port; the DynamoDB adapter is `functions/adapters/dynamodb-result-cache.ts`. */
export interface ResultCache {
  /**
   * Undefined on a miss, including an entry past its TTL that the store has not deleted yet. Entries are
   * the tenant's own (stored under the tenant's key prefix), on top of the tenant in the key's hash.
   */
  get(tenant: string, key: string): Promise<CachedResult | undefined>;
  put(tenant: string, key: string, value: CachedResult, ttlSeconds: number): Promise<void>;
}

/**
 * A DLP verdict already reached for the same processed media and instructions under the same policy
 * version: the decision and findings (types, spans, scores; never values) and where the redacted copies
 * of that item were stored, so a repeat is neither scanned nor billed again.
 */
export interface CachedDlpVerdict {
  readonly decision: 'allow' | 'redact' | 'block';
  /** The domain's Rejection and findings, stored as the domain wrote them. */
  readonly rejection?: { readonly reason: string; readonly message: string };
  readonly findings: readonly unknown[];
  readonly ocrScanned: boolean;
  readonly transcriptScanned?: boolean;
  readonly policyVersion: string;
  readonly language: string;
  readonly detector: string;
  /** The processed-bucket objects of the item that was scanned: its prompt and, if painted, its image. */
  readonly promptKey: string;
  readonly redactedImageKey?: string;
  readonly redactedImageMime?: string;
  /** Documents: how many pages were scanned, and each painted page's redacted copy (1-based `page`). */
  readonly pages?: number;
  readonly redactedPages?: readonly { readonly page: number; readonly key: string; readonly mime: string }[];
}

export interface DlpVerdictCache {
  /** Undefined on a miss, including an entry past its TTL that the store has not deleted yet. */
  get(tenant: string, key: string): Promise<CachedDlpVerdict | undefined>;
  put(tenant: string, key: string, verdict: CachedDlpVerdict, ttlSeconds: number): Promise<void>;
}

// ---- Budgets: counters and reservations. ----

export type BudgetPeriod = 'day' | 'month';

export interface PeriodCap {
  readonly period: BudgetPeriod;
  /** `YYYY-MM-DD` or `YYYY-MM` (UTC). */
  readonly periodKey: string;
  readonly capMicroUsd: number;
}

export interface PeriodSpend {
  readonly period: BudgetPeriod;
  readonly periodKey: string;
  readonly spentMicroUsd: number;
  readonly reservedMicroUsd: number;
}

/**
 * A reservation as this call wrote it: enough for the settle to move it without reading it first (its
 * condition names `createdAt` and the amount, so it applies only to exactly this write).
 */
export interface HeldReservation {
  readonly amountMicroUsd: number;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly periods: readonly { readonly period: BudgetPeriod; readonly periodKey: string }[];
}

export type StoreReserveOutcome =
  | {
      readonly ok: true;
      readonly state: 'reserved' | 'already_reserved' | 'already_settled';
      /** Set when this call wrote the reservation (`reserved`). */
      readonly held?: HeldReservation;
    }
  | {
      readonly ok: false;
      readonly period: BudgetPeriod;
      /** Settled spend of that period when the store refused: over the cap only with open reservations. */
      readonly spentMicroUsd: number;
    };

/** Port: where counters and reservations live. Every method is atomic and safe to repeat. */
export interface BudgetStore {
  reserve(args: {
    tenant: string;
    reservationId: string;
    amountMicroUsd: number;
    expiresAt: string;
    caps: readonly PeriodCap[];
    now: string;
  }): Promise<StoreReserveOutcome>;
  /**
   * Turns the reservation into spend; a second settle changes nothing. Always reports current spend. With
   * `held` (the reservation as reserve wrote it) the first try needs no read; a reservation that changed
   * since (expired, settled, written again) is read and settled as without it.
   */
  settle(args: {
    tenant: string;
    reservationId: string;
    actualMicroUsd: number;
    now: string;
    held?: HeldReservation;
  }): Promise<{ settled: boolean; tenant: string; spend: PeriodSpend[] }>;
  release(args: { tenant: string; reservationId: string; now: string }): Promise<{ released: boolean }>;
  /** Releases the tenant's reservations that expired at or before `now`; returns how many. */
  reclaimExpired(args: { tenant: string; now: string }): Promise<number>;
  /** Releases every tenant's reservations that expired at or before `now` (the scheduled sweep). */
  sweepExpired(args: { now: string }): Promise<number>;
  /** Claims a threshold crossing; true only for the first caller. */
  markThreshold(args: {
    tenant: string;
    period: BudgetPeriod;
    periodKey: string;
    percent: number;
    now: string;
  }): Promise<boolean>;
  unmarkThreshold(args: {
    tenant: string;
    period: BudgetPeriod;
    periodKey: string;
    percent: number;
  }): Promise<void>;
}

// ---- Tenants: the registry and rate buckets. ----

/** One tenant's record in the registry; absent fields take the tier's defaults (functions/tenants/registry.ts). */
export interface TenantRecord {
  readonly tenant: string;
  readonly tier: string;
  readonly status: 'active' | 'suspended';
  readonly dailyCapMicroUsd?: number;
  readonly monthlyCapMicroUsd?: number;
  readonly thresholdsPercent?: readonly number[];
  readonly dlpPolicy?: string;
  readonly allowedTasks?: readonly string[];
  readonly requestsPerMinute?: number;
  readonly modelTokensPerMinute?: number;
  /** IAM principal ARNs (roles, users) whose callers belong to this tenant. */
  readonly principals: readonly string[];
  /** Starts at 1, +1 on every change; a write conditioned on it loses no concurrent change. */
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** Port; the DynamoDB adapter is `functions/adapters/dynamodb-tenant-registry.ts`. */
export interface TenantRegistryStore {
  get(tenant: string): Promise<TenantRecord | undefined>;
  /** Writes `record` if the stored version is still `record.version - 1`; false when someone else wrote first. */
  put(record: TenantRecord, previous: TenantRecord | undefined): Promise<boolean>;
  list(): Promise<TenantRecord[]>;
  tenantOfPrincipal(principalArn: string): Promise<string | undefined>;
}

/** A token bucket's level at a moment (continuous refill is computed from it). */
export interface BucketLevel {
  /** Tokens per dimension (e.g. `requests`, `tokens`). */
  readonly tokens: Readonly<Record<string, number>>;
  /** Epoch ms the level was taken at. */
  readonly at: number;
  /** For a bucket whose limits come from the provider's headers: its capacity and refill per dimension. */
  readonly capacity?: Readonly<Record<string, number>>;
  readonly refillPerMs?: Readonly<Record<string, number>>;
}

/** A shared token bucket: one tenant's, or the organisation's for one model route. */
export type BucketId =
  | { readonly scope: 'tenant'; readonly tenant: string }
  | { readonly scope: 'org'; readonly route: string };

/** Port: shared token buckets (DynamoDB: `functions/adapters/dynamodb-rate-buckets.ts`). */
export interface RateBucketStore {
  read(bucket: BucketId): Promise<{ level: BucketLevel; version: number } | undefined>;
  /** One conditional write: stores `level` if the bucket is still at `expectedVersion` (0 = absent). */
  write(bucket: BucketId, level: BucketLevel, expectedVersion: number): Promise<boolean>;
  /**
   * Stores `level` whatever the bucket held, in one write that still moves its version on, so an
   * admission that read the old level loses its conditional write and reads again.
   */
  replace(bucket: BucketId, level: BucketLevel): Promise<void>;
  /** Records, once per execution, when the item first had to wait for admission; returns that time (epoch ms). */
  firstDeferral(tenant: string, executionId: string, now: number): Promise<number>;
  /** When the item first had to wait, if it ever did. */
  deferredSince(tenant: string, executionId: string): Promise<number | undefined>;
}

// ---- The synchronous path. ----

export interface SyncWorkflowResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  /** The workflow's output document, when it returned one. */
  readonly output?: unknown;
  readonly error?: string;
}

/** Runs one workflow to its end within the caller's request (Step Functions Express, StartSyncExecution). */
export interface SyncWorkflow {
  run(name: string, input: unknown): Promise<SyncWorkflowResult>;
}

// ---- The audit trail (functions/audit/): records in write-once storage, one chain head per tenant. ----

/** A sealed audit record: `body` is its canonical JSON (functions/audit/record.ts), hash included. */
export interface SealedAuditRecord {
  readonly tenant: string;
  readonly seq: number;
  readonly hash: string;
  readonly body: string;
}

/** A tenant's chain head as the head store holds it: the last record appended. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
  /** The last record itself, so an append can restore it when a crash kept it out of the record store. */
  readonly last: SealedAuditRecord;
}

export type AuditAdvance = 'advanced' | 'conflict' | 'duplicate';

/** Port: where each tenant's chain head lives; the DynamoDB adapter is `dynamodb-audit-head.ts`. */
export interface AuditHeadStore {
  read(tenant: string): Promise<AuditHead | undefined>;
  /**
   * Atomically moves the head from `expectedSeq` (0 = no head yet) to `record` and claims `decisionId`:
   * `conflict` when another writer moved the head first, `duplicate` when the decision is already in the chain.
   */
  advance(args: {
    decisionId: string;
    expectedSeq: number;
    record: SealedAuditRecord;
  }): Promise<AuditAdvance>;
  /** The record a decision was appended as, or undefined when it never was. */
  findDecision(tenant: string, decisionId: string): Promise<SealedAuditRecord | undefined>;
}

/**
 * A decision waiting to be chained. Steps only queue their decisions (one write, no contention between
 * items); a single chainer (functions/chain-audit) appends them to each tenant's chain in order.
 */
export interface QueuedAuditDecision {
  /** Opaque: what `remove` takes. */
  readonly ref: string;
  readonly tenant: string;
  readonly decisionId: string;
  readonly at: string;
  /** The decision's JSON (functions/audit/record.ts `AuditDecision`). */
  readonly body: string;
}

/** Port: the queue of decisions not yet in a chain; the DynamoDB adapter is `dynamodb-audit-queue.ts`. */
export interface AuditQueue {
  /** Queues a decision; queuing one again (a retried step) is harmless: the chainer appends it once. */
  enqueue(decision: Omit<QueuedAuditDecision, 'ref'>): Promise<void>;
  /** Up to `limit` queued decisions, oldest first (by `at`, then decision id). */
  oldest(limit: number): Promise<QueuedAuditDecision[]>;
  /** Removes entries (a batch at a time); removing one that is gone already is no error. */
  remove(refs: readonly string[]): Promise<void>;
}

/** A chain head signed by the head signer (`heads/<tenant>/<seq>.json` next to the records). */
export interface SignedAuditHead {
  readonly tenant: string;
  readonly seq: number;
  readonly hash: string;
  readonly signedAt: string;
  readonly keyId: string;
  readonly algorithm: 'ECDSA_SHA_256';
  /** Base64 of the DER-encoded ECDSA signature over the canonical JSON of the other fields. */
  readonly signature: string;
}

/** Port: write-once storage of records and signed heads (S3 with Object Lock in AWS). */
export interface AuditRecordStore {
  /** Writes a record at its position; writing the same record again changes nothing that matters. */
  put(record: SealedAuditRecord): Promise<void>;
  exists(tenant: string, seq: number): Promise<boolean>;
  /** Every stored record body of the tenant, in position order (as stored: verification judges them). */
  list(tenant: string): Promise<string[]>;
  /** Tenants with stored records or signed heads. */
  tenants(): Promise<string[]>;
  putSignedHead(head: SignedAuditHead): Promise<void>;
  signedHeadExists(tenant: string, seq: number): Promise<boolean>;
  /** Every signed head body of the tenant, as stored. */
  signedHeads(tenant: string): Promise<string[]>;
}

/** Port: signs chain heads with an ECC P-256 key (KMS in AWS, a local key file on the local stack). */
export interface HeadSigner {
  readonly keyId: string;
  /** DER-encoded ECDSA signature over SHA-256 of `message`. */
  sign(message: Buffer): Promise<Buffer>;
  /** The public key, DER SubjectPublicKeyInfo, for verifiers. */
  publicKey(): Promise<Buffer>;
}
