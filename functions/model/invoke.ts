/**
 * One model answer for one item: cache first, then the task's route chain (filtered by the media,
 * ordered and pruned by cost), each route behind its shared circuit breaker, each attempt under our own
 * retry policy. Outcomes:
 * - an answer (`ok: true`), possibly from the cache;
 * - a `Rejection` when the request itself is the problem (invalid, refused, answer off-schema);
 * - `ModelUnavailableError` when no route can answer now: the state machine parks the item and retries;
 * - `PermanentStepError` for account problems no retry fixes (quota, auth).
 */

import { sha256Hex } from '../media/content-hash.js';
import {
  AdmissionDeferredError,
  ModelUnavailableError,
  PermanentStepError,
  type Rejection,
  reject,
} from '../pipeline/reasons.js';
import type {
  ImageDetail,
  ModelCallRequest,
  ModelCallResult,
  ModelClient,
  ModelMedia,
  ModelUsage,
  ObservedRateLimits,
  ResultCache,
} from '../ports.js';
import { ModelCallError, ZERO_USAGE } from '../ports.js';
import type { Admission, RouteBreaker } from './breaker.js';
import { estimateTokens, type TokenEstimate, WORST_CASE_IMAGE } from './estimate.js';
import { checkModelOutput } from './output-schema.js';
import { resultCacheKey, schemaVersion } from './result-cache.js';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './retry-policy.js';
import { findRoute, type Modality, type RouteDefinition, TRANSCRIPTION_ROUTES } from './routes.js';
import type { TaskDefinition } from './tasks.js';

export type { RetryPolicy } from './retry-policy.js';

export interface InvokeDeps {
  clientFor: (route: RouteDefinition) => ModelClient;
  /** @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random (jitter) */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Shared circuit breaker; without one every route is always admitted. */
  breaker?: RouteBreaker;
  /**
   * The organisation's limits per route (fed from the provider's `x-ratelimit-*` headers): a route whose
   * bucket is spent is passed over; when every route was, the item waits (`AdmissionDeferredError`).
   */
  orgLimits?: {
    admit(route: string, tokens: number): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
    prepareAdmit?(
      route: string,
    ): (tokens: number) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
    observe(route: string, observed: ObservedRateLimits): Promise<void>;
  };
  /** Result cache; without one every request calls the model. */
  cache?: ResultCache;
  /** Routes whose endpoint is not configured here are left out of every chain. @default all available */
  routeAvailable?: (route: RouteDefinition) => boolean;
  /** Price of an estimate on a model, in micro-USD; enables cost-aware routing. */
  priceOf?: (model: string, estimate: TokenEstimate) => number;
  /** @default () => new Date() */
  now?: () => Date;
  /** Structured log hook (ids, codes and counts only). */
  log?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * Called once, after a cache miss and before the first billed call, with the pre-flight estimate of
   * the dearest path this request may take; a refusal ends the item with no model call.
   */
  reserveBudget?: (
    preflightMicroUsd: number,
    preflightTokens: number,
  ) => Promise<{ ok: true } | { ok: false; rejection: Rejection }>;
  /**
   * Epoch ms by which the last attempt must have finished (the Lambda's own timeout, less a margin). An
   * attempt that could run past it is not started: the item parks instead of timing out as failed.
   */
  deadlineMs?: number;
  /** Longest an attempt may take (the SDK timeout), for the deadline check. @default 0 */
  attemptTimeoutMs?: number;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  /**
   * Told of every attempt whose outcome is unknown (timeout or reset after sending, a cut-off 200): the
   * provider may have billed it. Called before the next attempt, so an item that parks loses none.
   */
  onUnconfirmedAttempt?: (attempt: UnconfirmedAttempt) => Promise<void>;
  /**
   * Given the outcome of an answer the model call accepted (not one from the cache), beside the breaker
   * record and the cache write, so the caller's own writes (the result object, its audit decision) wait
   * for neither. Its failure fails the call, as theirs would.
   */
  onAnswer?: (answer: AnsweredOutcome) => Promise<void>;
}

export interface UnconfirmedAttempt {
  readonly route: string;
  /** The model asked for (the provider's bill names its dated snapshot). */
  readonly model: string;
  readonly requestId: string | null;
  readonly estimate: TokenEstimate;
}

export interface InvokeInput {
  tenant: string;
  task: TaskDefinition;
  promptText: string;
  media?: ModelMedia;
  mediaInfo?: {
    width?: number;
    height?: number;
    durationSec?: number;
    /** Documents: the size of pages 2…n, each billed as an image of its own. */
    morePages?: readonly { width: number; height: number }[];
  };
  mediaSha256: string;
  /**
   * The result-cache key of this question (`itemCacheKey`); without one it is derived from the tenant,
   * media, prompt and task, under no particular DLP policy.
   */
  cacheKey?: string;
  /** The cache was read for this key moments ago and missed: skip the read, still store the answer. */
  cacheMissed?: boolean;
  /** The first route's admission, read beside the caller's own reads (`startAdmission`). */
  admissionStarted?: StartedAdmission;
}

export interface SkippedRoute {
  readonly route: string;
  readonly why:
    | 'breaker_open'
    | 'costlier'
    | 'retries_exhausted'
    | 'retry_after_over_cap'
    | 'sleep_budget_exhausted'
    | 'deadline'
    | 'org_rate_limited';
}

export interface TranscriptionStep {
  readonly route: string;
  readonly model: string;
  readonly usage: ModelUsage;
  readonly usageMissing?: boolean;
  readonly requestIds: readonly string[];
  readonly estimate: TokenEstimate;
}

export type InvokeOutcome =
  | {
      ok: true;
      text: string;
      model: string;
      route: string;
      requestIds: string[];
      attempts: number;
      usage: ModelUsage;
      /** The answer carried no usage: charge the estimate. */
      usageMissing?: boolean;
      cached: boolean;
      estimate: TokenEstimate;
      /** Routes passed over before the one that answered, and why. */
      skipped?: readonly SkippedRoute[];
      /** For `audioMode: 'transcribe'`: the speech-to-text call that preceded the text call (billed separately). */
      transcription?: TranscriptionStep;
      /** What was reserved before the first call (absent for a cache hit or without prices). */
      preflightMicroUsd?: number;
    }
  | {
      ok: false;
      rejection: Rejection;
      requestIds: string[];
      preflightMicroUsd?: number;
      /** The provider answered and billed before the item was rejected (a refusal, an off-schema answer). */
      billed?: BilledAnswer;
      transcription?: TranscriptionStep;
    };

/** An answer, from the model or the cache. */
export type AnsweredOutcome = Extract<InvokeOutcome, { ok: true }>;

/** A call that was billed although its answer is not used. */
export interface BilledAnswer {
  readonly route: string;
  readonly model: string;
  readonly usage: ModelUsage;
  readonly usageMissing?: boolean;
  readonly estimate: TokenEstimate;
}

const ALWAYS_ADMIT: Admission = { allowed: true, probe: false, state: 'closed' };

interface Attempts {
  requestIds: string[];
  attempts: number;
  sleptMs: number;
  skipped: SkippedRoute[];
}

interface Candidate {
  readonly route: RouteDefinition;
  readonly estimate: TokenEstimate;
}

type ChainResult =
  | {
      readonly kind: 'answer';
      readonly candidate: Candidate;
      readonly result: ModelCallResult;
      readonly requestIds: string[];
      /**
       * The breaker's record of this success and the organisation bucket's update from the provider's
       * headers, still being written: the caller awaits them beside its own writes (the cache), so a
       * success waits for none of them on its own. Always awaited before returning.
       */
      readonly breakerRecorded: Promise<void>;
    }
  | { readonly kind: 'rejected'; readonly rejection: Rejection; readonly billed?: BilledAnswer };

function composeInstructions(task: TaskDefinition, promptText: string, transcript?: string): string {
  const parts = [task.instructions];
  if (promptText.trim() !== '') parts.push(`User request:\n${promptText.trim()}`);
  if (transcript !== undefined) parts.push(`Transcript of the voice note:\n${transcript}`);
  return parts.join('\n\n');
}

async function estimateFor(
  route: RouteDefinition,
  instructions: string,
  input: InvokeInput,
  media: ModelMedia | undefined,
  maxOutputTokens: number,
  detail: ImageDetail,
): Promise<TokenEstimate> {
  const info = input.mediaInfo ?? {};
  const image =
    media?.kind === 'image'
      ? info.width && info.height
        ? { width: info.width, height: info.height, detail }
        : { ...WORST_CASE_IMAGE, detail }
      : undefined;
  const moreImages =
    media?.kind === 'image' ? (info.morePages ?? []).map((page) => ({ ...page, detail })) : [];
  return estimateTokens({
    model: route.model,
    instructions,
    ...(image ? { image } : {}),
    ...(moreImages.length > 0 ? { moreImages } : {}),
    ...(media?.kind === 'audio' && info.durationSec !== undefined ? { audioSeconds: info.durationSec } : {}),
    maxOutputTokens,
  });
}

/** Routes of a chain that can carry the modality, ordered and pruned by price when prices are known. */
async function candidatesFor(
  routeNames: readonly string[],
  modality: Modality,
  estimateOf: (route: RouteDefinition) => Promise<TokenEstimate>,
  deps: InvokeDeps,
  allowCostlier: boolean,
  skipped: SkippedRoute[],
  routingOutputTokens?: number,
): Promise<Candidate[]> {
  const routes = routeNames.flatMap((name) => {
    const route = findRoute(name);
    const usable = route?.modalities.includes(modality) && (deps.routeAvailable?.(route) ?? true);
    return route && usable ? [route] : [];
  });
  const usable = await Promise.all(
    routes.map(async (route) => ({ route, estimate: await estimateOf(route) })),
  );
  const priceOf = deps.priceOf;
  if (!priceOf || usable.length < 2) return usable;
  const priced = usable.map((candidate) => ({
    candidate,
    price: priceOf(candidate.route.model, {
      ...candidate.estimate,
      maxOutputTokens: routingOutputTokens ?? candidate.estimate.maxOutputTokens,
    }),
  }));
  if (modality === 'text') {
    // Hybrid routing: text-only work goes to the cheapest route first; the rest stay as fallbacks.
    return priced.sort((a, b) => a.price - b.price).map(({ candidate }) => candidate);
  }
  const first = priced[0]?.price ?? 0;
  return priced
    .filter(({ candidate, price }) => {
      if (allowCostlier || price <= first) return true;
      skipped.push({ route: candidate.route.name, why: 'costlier' });
      return false;
    })
    .map(({ candidate }) => candidate);
}

/** Admission of one route read ahead of time (beside the budget reservation), used by its first attempt. */
interface PreparedAdmission {
  readonly route: string;
  readonly org?: () => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
  readonly breaker?: () => Promise<Admission>;
}

/**
 * A route's breaker state and organisation bucket, being read: started by the caller beside its own reads
 * (the media and the prompt), before the tokens an attempt takes are known.
 */
export interface StartedAdmission {
  readonly route: string;
  readonly org?: (tokens: number) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
  readonly breaker?: () => Promise<Admission>;
}

/** Starts reading what admitting `route` needs; `invokeModel` uses it if the route comes first. */
export function startAdmission(
  deps: Pick<InvokeDeps, 'orgLimits' | 'breaker'>,
  route: string,
): StartedAdmission {
  const org = deps.orgLimits?.prepareAdmit?.(route);
  const breaker = deps.breaker?.prepareAdmit?.(route);
  return { route, ...(org ? { org } : {}), ...(breaker ? { breaker } : {}) };
}

/**
 * The first route's admission: its breaker state is read, and the organisation's tokens for its first
 * attempt are taken, while the budget is reserved (on what the caller started reading, if it did). A
 * reservation the budget then refuses has cost the organisation's bucket one attempt's tokens, which the
 * provider's next headers put right.
 */
function prepareAdmission(
  deps: InvokeDeps,
  first: Candidate | undefined,
  started: StartedAdmission | undefined,
): PreparedAdmission | undefined {
  if (!first) return undefined;
  const route = first.route.name;
  const reads = started?.route === route ? started : startAdmission(deps, route);
  const taken = reads.org?.(attemptTokens(first.estimate));
  // Held until the chain awaits it; a failure then surfaces there, never as an unhandled rejection.
  taken?.catch(() => undefined);
  // The chain's first attempt on this route is for the same candidate, so the same tokens: taken already.
  return {
    route,
    ...(taken ? { org: () => taken } : {}),
    ...(reads.breaker ? { breaker: reads.breaker } : {}),
  };
}

/** What one attempt takes from the organisation's token bucket: the prompt, the media and the answer. */
function attemptTokens(estimate: Candidate['estimate']): number {
  return estimate.textTokens + estimate.imageTokens + estimate.audioTokens + estimate.maxOutputTokens;
}

async function runChain(
  deps: InvokeDeps,
  policy: RetryPolicy,
  candidates: readonly Candidate[],
  build: (route: RouteDefinition) => ModelCallRequest,
  tracker: Attempts,
  prepared?: PreparedAdmission,
): Promise<ChainResult> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const log = deps.log ?? (() => {});
  const reasons: string[] = [];
  /** Shortest wait of the routes the organisation's limits passed over; undefined when none was. */
  let orgRetryAfterMs: number | undefined;
  let orgSkips = 0;
  const clock = deps.clock ?? Date.now;
  const observe = async (route: string, observed: ObservedRateLimits | undefined) => {
    if (!observed || !deps.orgLimits) return;
    // Best effort: a failed write leaves the bucket at the provider's previous word, nothing worse.
    await deps.orgLimits.observe(route, observed).catch((error: unknown) => {
      log('org rate bucket update failed', { route, error: String(error) });
    });
  };
  const outOfTime = () =>
    deps.deadlineMs !== undefined && clock() + (deps.attemptTimeoutMs ?? 0) > deps.deadlineMs;
  for (const candidate of candidates) {
    const { route } = candidate;
    // Checked before admission, so a half-open probe is never taken and then left unused.
    if (outOfTime()) {
      tracker.skipped.push({ route: route.name, why: 'deadline' });
      reasons.push(`${route.name}: no time left in this step for another attempt`);
      continue;
    }
    if (deps.orgLimits) {
      const tokens = attemptTokens(candidate.estimate);
      const org = await (prepared?.route === route.name && prepared.org
        ? prepared.org()
        : deps.orgLimits.admit(route.name, tokens));
      if (!org.ok) {
        tracker.skipped.push({ route: route.name, why: 'org_rate_limited' });
        reasons.push(`${route.name}: the organisation's rate limit is spent for ${org.retryAfterMs} ms`);
        orgRetryAfterMs = Math.min(orgRetryAfterMs ?? Number.POSITIVE_INFINITY, org.retryAfterMs);
        orgSkips += 1;
        continue;
      }
    }
    const admission = deps.breaker
      ? await (prepared?.route === route.name && prepared.breaker
          ? prepared.breaker()
          : deps.breaker.admit(route.name))
      : ALWAYS_ADMIT;
    if (!admission.allowed) {
      tracker.skipped.push({ route: route.name, why: 'breaker_open' });
      reasons.push(`${route.name}: breaker ${admission.state}`);
      continue;
    }
    const request = build(route);
    let failedAttempts = 0;
    for (;;) {
      tracker.attempts++;
      try {
        const result = await deps.clientFor(route).call(request);
        if (result.requestId) tracker.requestIds.push(result.requestId);
        // The provider's rate-limit word (best effort, never rejects) and the breaker's success record go
        // side by side, with the caller's writes: none of them decides this answer.
        const breakerRecorded = Promise.all([
          observe(route.name, result.rateLimits),
          deps.breaker?.record(route.name, admission, true),
        ]).then(() => undefined);
        // Held until the caller awaits it; a failure then surfaces there, never as an unhandled rejection.
        breakerRecorded.catch(() => undefined);
        log('model attempt succeeded', {
          route: route.name,
          attempt: failedAttempts + 1,
          requestId: result.requestId,
        });
        return { kind: 'answer', candidate, result, requestIds: tracker.requestIds, breakerRecorded };
      } catch (error) {
        if (!(error instanceof ModelCallError)) throw error;
        await observe(route.name, error.details.rateLimits);
        if (error.details.requestId) tracker.requestIds.push(error.details.requestId);
        if (error.details.outcomeUnknown) {
          await deps.onUnconfirmedAttempt?.({
            route: route.name,
            model: route.model,
            requestId: error.details.requestId ?? null,
            estimate: candidate.estimate,
          });
        }
        log('model attempt failed', {
          route: route.name,
          attempt: failedAttempts + 1,
          kind: error.kind,
          status: error.details.status,
          requestId: error.details.requestId,
        });
        switch (error.kind) {
          case 'quota':
            // The endpoint answered: not an outage, so the breaker (and a half-open probe's lease) sees success.
            await deps.breaker?.record(route.name, admission, true);
            throw new PermanentStepError('MODEL_QUOTA_EXHAUSTED', `${route.name}: ${error.message}`);
          case 'auth':
            await deps.breaker?.record(route.name, admission, true);
            // 401: the key is wrong; 403: the key may not use this model or region. Both need an operator.
            throw new PermanentStepError(
              error.details.status === 403 ? 'MODEL_FORBIDDEN' : 'MODEL_AUTH_FAILED',
              `${route.name}: ${error.message}`,
            );
          case 'invalid':
            // 404 names a model or deployment the endpoint does not have: the route config is wrong, not the upload.
            if (error.details.status === 404)
              throw new PermanentStepError('MODEL_NOT_FOUND', `${route.name}: ${error.message}`);
            await deps.breaker?.record(route.name, admission, true);
            return {
              kind: 'rejected',
              rejection: reject(
                'MODEL_REQUEST_INVALID',
                `the model endpoint rejected the request (${error.message})`,
              ),
            };
          case 'refused': {
            await deps.breaker?.record(route.name, admission, true);
            const billed = error.details.billed;
            return {
              kind: 'rejected',
              rejection: reject('MODEL_REFUSED', 'the model refused the request'),
              ...(billed ? { billed: { route: route.name, ...billed, estimate: candidate.estimate } } : {}),
            };
          }
          case 'retryable':
            break;
        }
        failedAttempts++;
        await deps.breaker?.record(route.name, admission, false);
        // The half-open probe is a single attempt: its job is to tell whether the route is back.
        const decision = admission.probe
          ? ({ retry: false, why: 'attempts_exhausted' } as const)
          : decideRetry(
              policy,
              {
                failedAttempts,
                sleptMs: tracker.sleptMs,
                ...(error.details.retryAfterMs !== undefined
                  ? { retryAfterMs: error.details.retryAfterMs }
                  : {}),
              },
              random,
            );
        if (!decision.retry) {
          const why = decision.why === 'attempts_exhausted' ? 'retries_exhausted' : decision.why;
          tracker.skipped.push({ route: route.name, why });
          reasons.push(`${route.name}: ${why} after ${failedAttempts} attempt(s), last ${error.message}`);
          break;
        }
        if (
          deps.deadlineMs !== undefined &&
          clock() + decision.delayMs + (deps.attemptTimeoutMs ?? 0) > deps.deadlineMs
        ) {
          tracker.skipped.push({ route: route.name, why: 'deadline' });
          reasons.push(
            `${route.name}: no time left in this step after ${failedAttempts} attempt(s), last ${error.message}`,
          );
          break;
        }
        tracker.sleptMs += decision.delayMs;
        await sleep(decision.delayMs);
      }
    }
  }
  // Only the organisation's limits stood in the way: the model is there, the item waits its turn.
  if (orgRetryAfterMs !== undefined && reasons.length === orgSkips) {
    throw new AdmissionDeferredError(
      'RATE_LIMITED',
      orgRetryAfterMs,
      `no route has room now: ${reasons.join('; ')}`,
    );
  }
  throw new ModelUnavailableError(
    reasons.length > 0
      ? `no model route could answer: ${reasons.join('; ')}`
      : 'no model route is configured for this request',
  );
}

export async function invokeModel(deps: InvokeDeps, input: InvokeInput): Promise<InvokeOutcome> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
  const { task } = input;
  const tracker: Attempts = { requestIds: [], attempts: 0, sleptMs: 0, skipped: [] };
  const transcribeFirst = input.media?.kind === 'audio' && task.audioMode === 'transcribe';
  const modality: Modality = transcribeFirst ? 'text' : (input.media?.kind ?? 'text');
  const media = transcribeFirst ? undefined : input.media;
  const detail = media?.kind === 'image' ? media.detail : task.detail;
  const allowCostlier = task.allowCostlierFallback ?? false;

  const instructionsNow = composeInstructions(task, input.promptText);
  const candidates = await candidatesFor(
    task.routes,
    modality,
    (route) => estimateFor(route, instructionsNow, input, media, task.maxOutputTokens, detail),
    deps,
    allowCostlier,
    tracker.skipped,
    task.typicalOutputTokens,
  );
  if (candidates.length === 0 && tracker.skipped.length === 0) {
    return {
      ok: false,
      rejection: reject(
        'MODEL_REQUEST_INVALID',
        `task ${task.id} has no route that accepts ${input.media?.kind ?? 'text'} input`,
      ),
      requestIds: [],
    };
  }

  const cacheKey =
    input.cacheKey ??
    resultCacheKey({
      tenant: input.tenant,
      mediaSha256: input.media ? input.mediaSha256 : '',
      promptSha256: sha256Hex(input.promptText),
      taskId: task.id,
      taskVersion: task.version,
      detail,
      schemaVersion: schemaVersion(task.responseSchema),
      policyVersion: '',
    });

  if (deps.cache && !input.cacheMissed) {
    const hit = await deps.cache.get(input.tenant, cacheKey).catch((error: unknown) => {
      deps.log?.('result cache read failed; treating as a miss', { error: String(error) });
      return undefined;
    });
    const candidate = candidates.find((c) => c.route.name === hit?.route) ?? candidates[0];
    if (hit && candidate) {
      return {
        ok: true,
        text: hit.text,
        model: hit.model,
        route: hit.route,
        requestIds: [],
        attempts: 0,
        usage: ZERO_USAGE,
        cached: true,
        estimate: candidate.estimate,
      };
    }
  }

  let transcription: TranscriptionStep | undefined;
  let chainCandidates = candidates;
  let instructions = instructionsNow;
  const audio = transcribeFirst && input.media?.kind === 'audio' ? input.media : undefined;
  const sttCandidates = audio
    ? await candidatesFor(
        TRANSCRIPTION_ROUTES,
        'audio',
        (route) => estimateFor(route, '', input, audio, 0, detail),
        deps,
        true,
        tracker.skipped,
      )
    : [];

  const preflightMicroUsd = deps.priceOf
    ? preflightPrice(deps.priceOf, candidates, sttCandidates, input.mediaInfo?.durationSec)
    : undefined;
  // The first route's breaker and organisation bucket are read while the budget is reserved (not for audio:
  // transcription comes first and takes a while).
  const prepared = audio ? undefined : prepareAdmission(deps, candidates[0], input.admissionStarted);
  if (deps.reserveBudget && preflightMicroUsd !== undefined) {
    const held = await deps.reserveBudget(preflightMicroUsd, preflightTokens(candidates, sttCandidates));
    if (!held.ok) return { ok: false, rejection: held.rejection, requestIds: [] };
  }
  const withPreflight = preflightMicroUsd !== undefined ? { preflightMicroUsd } : {};

  if (audio) {
    const stt = await runChain(
      deps,
      policy,
      sttCandidates,
      (route) => ({ model: route.model, instructions: '', media: audio, maxOutputTokens: 0 }),
      tracker,
    );
    if (stt.kind === 'answer') await stt.breakerRecorded;
    if (stt.kind === 'rejected') {
      return {
        ok: false,
        rejection: stt.rejection,
        requestIds: tracker.requestIds,
        ...withPreflight,
        ...(stt.billed ? { billed: stt.billed } : {}),
      };
    }
    transcription = {
      route: stt.candidate.route.name,
      model: stt.result.model,
      usage: stt.result.usage,
      ...(stt.result.usageMissing ? { usageMissing: true } : {}),
      requestIds: [...tracker.requestIds],
      estimate: stt.candidate.estimate,
    };
    instructions = composeInstructions(task, input.promptText, stt.result.text);
    // Re-estimate with the transcript in the prompt: that is what the text call will be billed for.
    chainCandidates = await Promise.all(
      candidates.map(async ({ route }) => ({
        route,
        estimate: await estimateFor(route, instructions, input, undefined, task.maxOutputTokens, detail),
      })),
    );
  }

  const answer = await runChain(
    deps,
    policy,
    chainCandidates,
    (route) => ({
      model: route.model,
      instructions,
      ...(media ? { media } : {}),
      ...(task.responseSchema ? { responseSchema: task.responseSchema } : {}),
      maxOutputTokens: task.maxOutputTokens,
    }),
    tracker,
    prepared,
  );
  const billedTranscription = transcription ? { transcription } : {};
  if (answer.kind === 'rejected') {
    return {
      ok: false,
      rejection: answer.rejection,
      requestIds: tracker.requestIds,
      ...withPreflight,
      ...(answer.billed ? { billed: answer.billed } : {}),
      ...billedTranscription,
    };
  }

  if (task.responseSchema) {
    const check = checkModelOutput(answer.result.text, task.responseSchema.schema);
    if (!check.ok) {
      await answer.breakerRecorded;
      return {
        ok: false,
        rejection: reject('INVALID_MODEL_OUTPUT', check.problem),
        requestIds: tracker.requestIds,
        ...withPreflight,
        billed: {
          route: answer.candidate.route.name,
          model: answer.result.model,
          usage: answer.result.usage,
          ...(answer.result.usageMissing ? { usageMissing: true } : {}),
          estimate: answer.candidate.estimate,
        },
        ...billedTranscription,
      };
    }
  }

  const { route } = answer.candidate;
  const cached = async () => {
    if (!deps.cache) return;
    const now = (deps.now ?? (() => new Date()))();
    await deps.cache
      .put(
        input.tenant,
        cacheKey,
        {
          text: answer.result.text,
          model: answer.result.model,
          route: route.name,
          requestIds: tracker.requestIds,
          createdAt: now.toISOString(),
        },
        task.cacheTtlSeconds,
      )
      .catch((error: unknown) => deps.log?.('result cache write failed', { error: String(error) }));
  };
  const answered: AnsweredOutcome = {
    ok: true,
    text: answer.result.text,
    model: answer.result.model,
    route: route.name,
    requestIds: tracker.requestIds,
    attempts: tracker.attempts,
    usage: answer.result.usage,
    ...(answer.result.usageMissing ? { usageMissing: true } : {}),
    cached: false,
    estimate: answer.candidate.estimate,
    ...(tracker.skipped.length > 0 ? { skipped: tracker.skipped } : {}),
    ...(transcription ? { transcription } : {}),
    ...withPreflight,
  };
  await Promise.all([answer.breakerRecorded, cached(), deps.onAnswer?.(answered)]);
  return answered;
}

/** Tokens a transcript adds to the text call's prompt: a fast speaker's ~4 tokens a second, rounded up. */
const TRANSCRIPT_TOKENS_PER_SECOND = 4;

/**
 * The dearest path the request may take: any candidate route may end up answering (fallbacks), and a
 * transcription comes first when the task transcribes. Budget is reserved for this, so it errs high.
 */
/** The most model tokens (in and out) the dearest path may use: what a tokens-per-minute limit counts. */
function preflightTokens(candidates: readonly Candidate[], sttCandidates: readonly Candidate[]): number {
  const tokens = ({ estimate }: Candidate) =>
    estimate.textTokens + estimate.imageTokens + estimate.audioTokens + estimate.maxOutputTokens;
  return Math.max(0, ...candidates.map(tokens)) + Math.max(0, ...sttCandidates.map(tokens));
}

function preflightPrice(
  priceOf: (model: string, estimate: TokenEstimate) => number,
  candidates: readonly Candidate[],
  sttCandidates: readonly Candidate[],
  durationSec: number | undefined,
): number {
  const dearest = (list: readonly Candidate[], extraTextTokens = 0) =>
    Math.max(
      0,
      ...list.map(({ route, estimate }) =>
        priceOf(route.model, { ...estimate, textTokens: estimate.textTokens + extraTextTokens }),
      ),
    );
  if (sttCandidates.length === 0) return dearest(candidates);
  const transcriptTokens = Math.ceil((durationSec ?? 0) * TRANSCRIPT_TOKENS_PER_SECOND);
  return dearest(sttCandidates) + dearest(candidates, transcriptTokens);
}
