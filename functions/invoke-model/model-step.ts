/**
 * The InvokeModel step on one pipeline document: read the (possibly redacted) media and the prompt,
 * reserve budget before the first billed call, call the model through `invokeModel`, store the answer
 * and fill in the document's `model` section. A rejection or an outage gives the reservation back; a
 * rejection after a billed call keeps it, so RecordCost charges what was billed and settles it.
 */

import { randomUUID } from 'node:crypto';
import { priceOfEstimate, type TokenEstimate, usageOfEstimate } from '../model/estimate.js';
import {
  type AnsweredOutcome,
  type InvokeDeps,
  invokeModel,
  startAdmission,
  type TranscriptionStep,
} from '../model/invoke.js';
import { questionCacheKey, storeAnswer } from '../model/item-answer.js';
import { findTask } from '../model/tasks.js';
import type { BudgetGuard } from '../money/budget.js';
import { unconfirmedAttemptEntry } from '../money/ledger-entries.js';
import type { ModelSection, PipelineState } from '../pipeline/document.js';
import { reject } from '../pipeline/reasons.js';
import { objectKeys, queueDecisionNow, rejected } from '../pipeline/step.js';
import {
  type BlobStore,
  type HeldReservation,
  type Ledger,
  type ModelMedia,
  type ModelUsage,
  ZERO_USAGE,
} from '../ports.js';
import { type AdmissionDeps, admitToModel } from '../tenants/admission.js';

export interface ModelStepDeps {
  readonly blobs: BlobStore;
  readonly buckets: { readonly ingest: string; readonly processed: string; readonly results: string };
  readonly budget: Pick<BudgetGuard, 'reserve' | 'release'>;
  /** The tenant registry and the shared rate buckets admission reads (functions/tenants/admission.ts). */
  readonly admission: Pick<AdmissionDeps, 'tenants' | 'buckets' | 'timeScale' | 'now'>;
  readonly invoke: InvokeDeps;
  /** Where an attempt of unknown outcome is recorded as exposure the moment it happens (it may park next). */
  readonly ledger: Ledger;
  /** Told when a tenant's cap refuses an item (the `BudgetExceeded` metric, by tier). */
  readonly onBudgetExceeded?: (tier: string) => void;
}

export async function runModelStep(
  deps: ModelStepDeps,
  state: PipelineState,
  limits: { readonly deadlineMs: number; readonly attemptTimeoutMs: number },
): Promise<PipelineState> {
  if (!state.media || !state.processed || !state.dlp)
    throw new Error('InvokeModel needs the DlpCheck section');
  const task = state.task ? findTask(state.task) : undefined;
  if (!task) return rejected(state, reject('UNKNOWN_TASK', 'the task is not in the catalogue'));

  // What admission reads (the tenant's record, the first route's breaker and organisation bucket) is read
  // beside the media and the prompt: only the tokens an attempt takes wait for the prompt. A transcribing
  // task calls its transcription route first, a while later: nothing is read ahead for it.
  const transcribesFirst = state.media.kind === 'audio' && task.audioMode === 'transcribe';
  const firstRoute = task.routes[0];
  const admissionStarted =
    firstRoute && !transcribesFirst ? startAdmission(deps.invoke, firstRoute) : undefined;
  deps.admission.tenants.resolve(state.tenant).catch(() => undefined);
  const pageKeys = state.dlp.modelInputKeys ?? [state.dlp.modelInputKey];
  const [media, prompt, cacheKey, ...morePages] = await Promise.all([
    deps.blobs.get(deps.buckets.processed, state.dlp.modelInputKey),
    deps.blobs.get(deps.buckets.processed, state.dlp.promptKey),
    // The key ValidateAndStrip looks the same question up by next time.
    questionCacheKey(
      { blobs: deps.blobs, ingestBucket: deps.buckets.ingest },
      state,
      task,
      state.dlp.policyVersion,
    ),
    ...pageKeys.slice(1).map((key) => deps.blobs.get(deps.buckets.processed, key)),
  ]);
  const modelMedia: ModelMedia =
    state.media.kind === 'image'
      ? {
          kind: 'image',
          mime: state.processed.mime,
          bytes: media.body,
          detail: task.detail,
          ...(morePages.length > 0
            ? {
                morePages: morePages.map((page, index) => ({
                  mime: page.contentType ?? state.processed?.pages?.[index + 1]?.mime ?? 'image/jpeg',
                  bytes: page.body,
                })),
              }
            : {}),
        }
      : { kind: 'audio', format: state.processed.mime === 'audio/mpeg' ? 'mp3' : 'wav', bytes: media.body };

  // One reservation per execution: a retried or parked attempt takes the same one again.
  const reservationId = `${state.executionId}#InvokeModel`;
  let reservedMicroUsd: number | undefined;
  let held: HeldReservation | undefined;
  let admission: { admission?: PipelineState['admission'] } = {};
  const reserveBudget: InvokeDeps['reserveBudget'] = async (amount, tokens) => {
    const admitted = await admitToModel(
      {
        ...deps.admission,
        budget: deps.budget,
        ...(deps.onBudgetExceeded ? { onBudgetExceeded: deps.onBudgetExceeded } : {}),
      },
      {
        tenant: state.tenant,
        executionId: state.executionId,
        reservationId,
        estimateMicroUsd: amount,
        estimateTokens: tokens,
      },
    );
    if (!admitted.ok) return admitted;
    reservedMicroUsd = amount;
    held = admitted.held;
    admission = { admission: { waitedMs: admitted.waitedMs, admittedAt: admitted.admittedAt } };
    return { ok: true };
  };
  const giveBack = async () => {
    if (reservedMicroUsd !== undefined) await deps.budget.release(state.tenant, reservationId);
  };

  const onUnconfirmedAttempt: InvokeDeps['onUnconfirmedAttempt'] = async (attempt) => {
    const price = priceOfEstimate(attempt.model, attempt.estimate);
    // No request id (a timeout before headers): each such attempt is its own event, never merged.
    const attemptId = attempt.requestId ?? `attempt-${randomUUID()}`;
    await deps.ledger.record(
      unconfirmedAttemptEntry(
        state,
        { ...attempt, attemptId, exposureMicroUsd: price },
        new Date().toISOString(),
      ),
    );
  };

  // What every model section says of the task and the budget held for it (set once admission reserved).
  const common = () => ({
    taskId: task.id,
    taskVersion: task.version,
    ...(reservedMicroUsd !== undefined
      ? { reservation: { id: reservationId, amountMicroUsd: reservedMicroUsd, ...(held ? { held } : {}) } }
      : {}),
  });
  const answerStore = { blobs: deps.blobs, resultsBucket: deps.buckets.results };
  const answeredState = (outcome: AnsweredOutcome): PipelineState => ({
    ...state,
    ...admission,
    model: {
      ...common(),
      route: outcome.route,
      model: outcome.model,
      requestIds: outcome.requestIds,
      resultKey: objectKeys.result(state),
      cached: outcome.cached,
      attempts: outcome.attempts,
      ...billedUsage(outcome.usage, outcome.usageMissing, outcome.estimate),
      estimateMicroUsd: priceOfEstimate(outcome.model, outcome.estimate),
      ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
      ...transcriptionSection(outcome.transcription),
    },
  });
  // The answer is stored, and the step's decision queued for the audit trail, as soon as the model gives
  // it, beside invokeModel's own writes (breaker, cache): a failed write fails the step, whose retry
  // queues the same decision id again.
  const onAnswer: InvokeDeps['onAnswer'] = async (answer) => {
    await Promise.all([
      storeAnswer(answerStore, state, task, answer),
      queueDecisionNow(answeredState(answer)),
    ]);
  };
  const outcome = await invokeModel(
    { ...deps.invoke, reserveBudget, onUnconfirmedAttempt, onAnswer, ...limits },
    {
      tenant: state.tenant,
      task,
      promptText: prompt.body.toString('utf8'),
      media: modelMedia,
      mediaInfo: {
        width: state.processed.width,
        height: state.processed.height,
        durationSec: state.processed.durationSec,
        ...(state.processed.pages && state.processed.pages.length > 1
          ? {
              morePages: state.processed.pages
                .slice(1)
                .map((page) => ({ width: page.width, height: page.height })),
            }
          : {}),
      },
      mediaSha256: state.processed.sha256,
      cacheKey,
      ...(state.media.cacheMissed ? { cacheMissed: true } : {}),
      ...(admissionStarted ? { admissionStarted } : {}),
    },
  ).catch(async (error: unknown) => {
    await giveBack();
    throw error;
  });
  if (!outcome.ok) {
    if (!outcome.billed && !outcome.transcription) {
      await giveBack();
      return rejected(state, outcome.rejection, admission);
    }
    const billed = outcome.billed;
    return rejected(state, outcome.rejection, {
      ...admission,
      model: {
        ...common(),
        route: billed?.route ?? outcome.transcription?.route ?? '',
        model: billed?.model ?? outcome.transcription?.model ?? '',
        modelCallBilled: billed !== undefined,
        requestIds: outcome.requestIds,
        cached: false,
        attempts: outcome.requestIds.length,
        ...billedUsage(billed?.usage ?? ZERO_USAGE, billed?.usageMissing, billed?.estimate),
        estimateMicroUsd: billed ? priceOfEstimate(billed.model, billed.estimate) : 0,
        ...transcriptionSection(outcome.transcription),
      },
    });
  }

  // A cached answer was not given to onAnswer: it is stored here.
  if (outcome.cached) await storeAnswer(answerStore, state, task, outcome);
  return answeredState(outcome);
}

function transcriptionSection(stt: TranscriptionStep | undefined): Pick<ModelSection, 'transcription'> {
  if (!stt) return {};
  return {
    transcription: {
      route: stt.route,
      model: stt.model,
      requestIds: stt.requestIds,
      ...billedUsage(stt.usage, stt.usageMissing, stt.estimate),
      estimateMicroUsd: priceOfEstimate(stt.model, stt.estimate),
    },
  };
}

/** Reported usage, or, for an answer that came without it, the estimate's tokens marked as such. */
function billedUsage(
  usage: ModelUsage,
  usageMissing: boolean | undefined,
  estimate: TokenEstimate | undefined,
): { usage: ModelUsage; costSource: 'usage' | 'estimate' } {
  if (usageMissing && estimate) return { usage: usageOfEstimate(estimate), costSource: 'estimate' };
  return { usage, costSource: 'usage' };
}
