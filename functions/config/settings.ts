/**
 * The one place that reads the environment and chooses adapters. Handlers call `loadConfig()` and
 * `createDependencies()` once at module scope; domain code only ever sees ports. The same handler code
 * runs in Lambda (AWS adapters, endpoints from the SDK defaults) and on the local stack (the same SDK
 * clients pointed at loopback endpoints, plus offline detectors where AWS has no local stand-in).
 */
import type { MediaLimits } from '../media/limits.js';
import { DEFAULT_MAX_OUTPUT_BYTES, mediaLimitsFromEnv, resolveMediaLimits } from '../media/limits.js';

export interface RuntimeConfig {
  readonly region: string;
  readonly buckets: {
    readonly ingest: string;
    readonly processed: string;
    readonly results: string;
    readonly quarantine: string;
  };
  readonly tables: { readonly ledger: string; readonly state: string };
  readonly eventBusName: string;
  readonly stateMachineArn: string;
  /** The Express state machine `POST /v1/analyze` runs synchronously. */
  readonly expressStateMachineArn: string;
  /** The presigned-upload endpoint, where a body too large for the synchronous path is sent. */
  readonly presignUrl: string;
  /** Largest body `POST /v1/analyze` takes: Lambda's 6 MB synchronous payload. */
  readonly maxSyncBodyBytes: number;
  /** Loopback endpoints of the local stack; undefined in AWS. */
  readonly endpoints: {
    readonly s3?: string;
    readonly dynamodb?: string;
    readonly sfn?: string;
    readonly eventbridge?: string;
  };
  readonly openai: {
    readonly apiKey?: string;
    /** ARN of the Secrets Manager secret holding the key (AWS deployments). */
    readonly apiKeySecretArn?: string;
    readonly baseURL?: string;
    /**
     * Base URL per logical endpoint name of the routes (functions/model/routes.ts). `primary` is
     * OPENAI_BASE_URL (undefined = OpenAI itself); others come from MEDIAGATE_MODEL_ENDPOINTS, a JSON
     * object such as {"secondary":"https://my-azure.openai.azure.com/openai/v1"}. Routes on an endpoint
     * not listed are left out, never silently sent to `primary`.
     */
    readonly endpoints: Readonly<Record<string, string | undefined>>;
    readonly timeoutMs: number;
    /** Overrides of the retry policy (MEDIAGATE_RETRY_POLICY, JSON of numbers, e.g. {"maxAttempts":2}). */
    readonly retryPolicy: Readonly<Record<string, number>>;
    /** Overrides of the breaker policy (MEDIAGATE_BREAKER_POLICY, JSON of numbers, e.g. {"coolDownMs":60000}). */
    readonly breakerPolicy: Readonly<Record<string, number>>;
  };
  readonly piiDetector: 'comprehend' | 'local';
  readonly ocr: 'textract' | 'tesseract' | 'none';
  /** Speech recogniser for audio DLP (MEDIAGATE_TRANSCRIBER); `none` offline, where there is none worth trusting. */
  readonly transcriber: 'transcribe' | 'none';
  /** KMS key the Transcribe output is encrypted with (MEDIAGATE_TRANSCRIPT_KMS_KEY); undefined = SSE-S3. */
  readonly transcriptKmsKeyId?: string;
  /**
   * The step's tenant-data role (MEDIAGATE_TENANT_ROLE_ARN, set by the stack): tenant data is then read
   * and written in a session tagged with the item's tenant. Undefined on the local stack (no STS there).
   */
  readonly tenantRoleArn?: string;
  /**
   * The data key (MEDIAGATE_DATA_KEY_ARN): objects are written with SSE-KMS under it and a `tenant`
   * encryption context. Undefined locally, where the bucket stand-in keeps objects unencrypted.
   */
  readonly dataKeyArn?: string;
  readonly maxUploadBytes: number;
  /**
   * Limits on untrusted media (functions/media/limits.ts): the defaults overlaid with the
   * MEDIAGATE_MAX_* variables of `MEDIA_LIMIT_ENV`; `maxBytes` is always `maxUploadBytes`.
   */
  readonly mediaLimits: MediaLimits;
  /** Largest model-ready output Preprocess may produce (MEDIAGATE_MAX_OUTPUT_BYTES). */
  readonly maxOutputBytes: number;
  /**
   * The one step this process runs (MEDIAGATE_STEP, set per Lambda function). Undefined when one process
   * runs several steps, as the local stack does, so nothing process-wide may be assumed then.
   */
  readonly dedicatedStep?: string;
  readonly presignExpirySeconds: number;
  /** Rehearsal clock: every wait is divided by it (functions/pipeline/time-scale.ts); 1 in AWS. */
  readonly timeScale: number;
  /**
   * How long a step may reuse a tenant's registry record (MEDIAGATE_TENANT_CACHE_MS): the longest a
   * change of caps, limits or status waits to apply. 30 s in AWS; the local stack sets 1 s.
   */
  readonly tenantCacheMs: number;
  /**
   * Whether a caller must be bound to a tenant in the registry to presign or analyze
   * (MEDIAGATE_TENANT_BINDING, `required` by default; the local stack sets `optional`).
   */
  readonly tenantBinding: 'required' | 'optional';
}

type Env = Readonly<Record<string, string | undefined>>;

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`${name} must be a positive integer; got "${value}"`);
  return parsed;
}

/**
 * A setting that is a JSON object whose every value passes `valid`; empty means none. Malformed JSON or
 * a bad value stops the function at cold start with the setting's name, never a silent default.
 */
function jsonRecord<T>(
  name: string,
  raw: string | undefined,
  valid: (value: unknown) => value is T,
  expected: string,
): Record<string, T> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be ${expected}; it is not JSON`);
  }
  const ok =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every(valid);
  if (!ok) throw new Error(`${name} must be ${expected}`);
  return parsed as Record<string, T>;
}

const NUMBERS = 'a JSON object of non-negative numbers';
const isNonNegativeNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isHttpUrl = (value: unknown): value is string =>
  typeof value === 'string' && /^https?:\/\//.test(value);

const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export function loadConfig(env: Env = process.env): RuntimeConfig {
  const maxUploadBytes = positiveInt(
    'MEDIAGATE_MAX_UPLOAD_BYTES',
    env.MEDIAGATE_MAX_UPLOAD_BYTES,
    DEFAULT_MAX_UPLOAD_BYTES,
  );
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    buckets: {
      ingest: env.INGEST_BUCKET ?? '',
      processed: env.PROCESSED_BUCKET ?? '',
      results: env.RESULTS_BUCKET ?? '',
      quarantine: env.QUARANTINE_BUCKET ?? '',
    },
    tables: { ledger: env.LEDGER_TABLE ?? '', state: env.STATE_TABLE ?? '' },
    eventBusName: env.EVENT_BUS_NAME ?? 'default',
    stateMachineArn: env.STATE_MACHINE_ARN ?? '',
    expressStateMachineArn: env.EXPRESS_STATE_MACHINE_ARN ?? '',
    presignUrl: env.PRESIGN_URL ?? '',
    maxSyncBodyBytes: positiveInt(
      'MEDIAGATE_MAX_SYNC_BODY_BYTES',
      env.MEDIAGATE_MAX_SYNC_BODY_BYTES,
      6 * 1024 * 1024,
    ),
    endpoints: {
      s3: env.AWS_ENDPOINT_URL_S3,
      dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB,
      sfn: env.AWS_ENDPOINT_URL_SFN,
      eventbridge: env.AWS_ENDPOINT_URL_EVENTBRIDGE,
    },
    openai: {
      apiKey: env.OPENAI_API_KEY,
      apiKeySecretArn: env.OPENAI_API_KEY_SECRET_ARN,
      baseURL: env.OPENAI_BASE_URL,
      endpoints: {
        ...jsonRecord(
          'MEDIAGATE_MODEL_ENDPOINTS',
          env.MEDIAGATE_MODEL_ENDPOINTS,
          isHttpUrl,
          'a JSON object of endpoint name to http(s) URL',
        ),
        primary: env.OPENAI_BASE_URL,
      },
      timeoutMs: positiveInt('OPENAI_TIMEOUT_MS', env.OPENAI_TIMEOUT_MS, 30_000),
      retryPolicy: jsonRecord(
        'MEDIAGATE_RETRY_POLICY',
        env.MEDIAGATE_RETRY_POLICY,
        isNonNegativeNumber,
        NUMBERS,
      ),
      breakerPolicy: jsonRecord(
        'MEDIAGATE_BREAKER_POLICY',
        env.MEDIAGATE_BREAKER_POLICY,
        isNonNegativeNumber,
        NUMBERS,
      ),
    },
    piiDetector: oneOf(
      'MEDIAGATE_PII_DETECTOR',
      env.MEDIAGATE_PII_DETECTOR,
      ['comprehend', 'local'],
      'comprehend',
    ),
    ocr: oneOf('MEDIAGATE_OCR', env.MEDIAGATE_OCR, ['textract', 'tesseract', 'none'], 'textract'),
    transcriber: oneOf(
      'MEDIAGATE_TRANSCRIBER',
      env.MEDIAGATE_TRANSCRIBER,
      ['transcribe', 'none'],
      'transcribe',
    ),
    transcriptKmsKeyId: env.MEDIAGATE_TRANSCRIPT_KMS_KEY || undefined,
    tenantRoleArn: env.MEDIAGATE_TENANT_ROLE_ARN || undefined,
    dataKeyArn: env.MEDIAGATE_DATA_KEY_ARN || undefined,
    maxUploadBytes,
    mediaLimits: resolveMediaLimits({ ...mediaLimitsFromEnv(env), maxBytes: maxUploadBytes }),
    maxOutputBytes: positiveInt(
      'MEDIAGATE_MAX_OUTPUT_BYTES',
      env.MEDIAGATE_MAX_OUTPUT_BYTES,
      DEFAULT_MAX_OUTPUT_BYTES,
    ),
    dedicatedStep: env.MEDIAGATE_STEP || undefined,
    presignExpirySeconds: positiveInt(
      'MEDIAGATE_PRESIGN_EXPIRY_SECONDS',
      env.MEDIAGATE_PRESIGN_EXPIRY_SECONDS,
      300,
    ),
    timeScale: positiveInt('MEDIAGATE_TIME_SCALE', env.MEDIAGATE_TIME_SCALE, 1),
    tenantBinding: oneOf(
      'MEDIAGATE_TENANT_BINDING',
      env.MEDIAGATE_TENANT_BINDING,
      ['required', 'optional'],
      'required',
    ),
    tenantCacheMs: Math.min(
      60_000,
      positiveInt('MEDIAGATE_TENANT_CACHE_MS', env.MEDIAGATE_TENANT_CACHE_MS, 30_000),
    ),
  };
}

/** Fails fast with the names of missing settings, so a misdeployed function says what is wrong. */
export function requireSettings(
  config: RuntimeConfig,
  names: readonly (
    | keyof RuntimeConfig['buckets']
    | 'ledger'
    | 'state'
    | 'stateMachineArn'
    | 'expressStateMachineArn'
  )[],
): void {
  const missing = names.filter((name) => {
    if (name === 'ledger' || name === 'state') return config.tables[name] === '';
    if (name === 'stateMachineArn') return config.stateMachineArn === '';
    if (name === 'expressStateMachineArn') return config.expressStateMachineArn === '';
    return config.buckets[name] === '';
  });
  if (missing.length > 0) throw new Error(`missing configuration: ${missing.join(', ')}`);
}
