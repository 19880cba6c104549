import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createDynamoBudgetGuard } from '../shared/adapters/dynamodb-budget-store.js';
import { createEventBridgePublisher } from '../shared/adapters/eventbridge-publisher.js';
import { createS3BlobStore } from '../shared/adapters/s3-blob-store.js';
import { dynamoClient, eventBridgeClient, s3Client } from '../shared/clients.js';
import { loadConfig, requireSettings, resolveOpenAiApiKey } from '../shared/config.js';
import type { ModelSection } from '../shared/pipeline.js';
import type { ModelMedia } from '../shared/ports.js';
import { reject } from '../shared/reasons.js';
import { metrics, objectKeys, pipelineStep, rejected, stepLog } from '../shared/step.js';
import { type InvokeDeps, invokeModel, type TranscriptionStep, ZERO_USAGE } from './invoke.js';
import { findTask } from './tasks.js';
import { createInvokeDeps, priceOfEstimate } from './wiring.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state']);
const blobs = createS3BlobStore(s3Client(config));
const dynamo = dynamoClient(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);
const budget = createDynamoBudgetGuard(dynamo, config.tables.state, publisher);
const deps = createInvokeDeps({
  apiKey: await resolveOpenAiApiKey(config),
  timeoutMs: config.openai.timeoutMs,
  endpoints: config.openai.endpoints,
  dynamo,
  stateTable: config.tables.state,
  retryPolicy: config.openai.retryPolicy,
  breakerPolicy: config.openai.breakerPolicy,
  publisher,
  onBreakerTransition: (transition) =>
    countMetric('BreakerTransition', { route: transition.route, to: transition.to }),
  log: (message, fields) => stepLog.info(message, fields),
});

/** A metric with its own dimensions, published at once (the step's metrics carry only `step`). */
function countMetric(name: string, dimensions: Record<string, string>): void {
  const metric = metrics.singleMetric();
  for (const [key, value] of Object.entries(dimensions)) metric.addDimension(key, value);
  metric.addMetric(name, MetricUnit.Count, 1);
}

/**
 * Calls the model for the task with the (possibly redacted) media. Budget is reserved before the first
 * billed call and settled by RecordCost; a rejection or an outage gives it back. Outages park the item
 * (the state machine retries `ModelUnavailable`).
 */
/** Time kept back from the Lambda timeout to write the result and give back the budget. */
const DEADLINE_MARGIN_MS = 10_000;
/** Without a Lambda context (the local runner), the Lambda's own 150 s less the margin. */
const LOCAL_STEP_BUDGET_MS = 140_000;

export const handler = pipelineStep('InvokeModel', async (state, context) => {
  const deadlineMs =
    Date.now() + (context?.getRemainingTimeInMillis() ?? LOCAL_STEP_BUDGET_MS) - DEADLINE_MARGIN_MS;
  if (!state.media || !state.processed || !state.dlp)
    throw new Error('InvokeModel needs the DlpCheck section');
  const task = state.task ? findTask(state.task) : undefined;
  if (!task) return rejected(state, reject('UNKNOWN_TASK', 'the task is not in the catalogue'));

  const [media, prompt] = await Promise.all([
    blobs.get(config.buckets.processed, state.dlp.modelInputKey),
    blobs.get(config.buckets.processed, state.dlp.promptKey),
  ]);
  const modelMedia: ModelMedia =
    state.media.kind === 'image'
      ? { kind: 'image', mime: state.processed.mime, bytes: media.body, detail: task.detail }
      : { kind: 'audio', format: state.processed.mime === 'audio/mpeg' ? 'mp3' : 'wav', bytes: media.body };

  // One reservation per execution: a retried or parked attempt takes the same one again.
  const reservationId = `${state.executionId}#InvokeModel`;
  let reservedMicroUsd: number | undefined;
  const reserveBudget: InvokeDeps['reserveBudget'] = async (amount) => {
    const held = await budget.reserve(state.tenant, amount, reservationId);
    if (!held.ok) {
      countMetric('BudgetExceeded', { tier: held.tier });
      return held;
    }
    reservedMicroUsd = amount;
    return { ok: true };
  };
  const giveBack = async () => {
    if (reservedMicroUsd !== undefined) await budget.release(reservationId);
  };

  const outcome = await invokeModel(
    { ...deps, reserveBudget, deadlineMs, attemptTimeoutMs: config.openai.timeoutMs },
    {
      tenant: state.tenant,
      task,
      promptText: prompt.body.toString('utf8'),
      media: modelMedia,
      mediaInfo: {
        width: state.processed.width,
        height: state.processed.height,
        durationSec: state.processed.durationSec,
      },
      mediaSha256: state.processed.sha256,
    },
  ).catch(async (error: unknown) => {
    await giveBack();
    throw error;
  });
  const reservation =
    reservedMicroUsd !== undefined
      ? { reservation: { id: reservationId, amountMicroUsd: reservedMicroUsd } }
      : {};
  if (!outcome.ok) {
    // A rejection after a billed call (a refusal, an off-schema answer, a transcription before either)
    // keeps its reservation: RecordCost writes what was billed and settles it, then the item is rejected.
    if (!outcome.billed && !outcome.transcription) {
      await giveBack();
      return rejected(state, outcome.rejection);
    }
    const billed = outcome.billed;
    return rejected(state, outcome.rejection, {
      model: {
        taskId: task.id,
        taskVersion: task.version,
        route: billed?.route ?? outcome.transcription?.route ?? '',
        model: billed?.model ?? outcome.transcription?.model ?? '',
        modelCallBilled: billed !== undefined,
        requestIds: outcome.requestIds,
        cached: false,
        attempts: outcome.requestIds.length,
        usage: billed?.usage ?? ZERO_USAGE,
        estimateMicroUsd: billed ? priceOfEstimate(billed.model, billed.estimate) : 0,
        ...reservation,
        ...transcriptionSection(outcome.transcription),
      },
    });
  }

  const resultKey = objectKeys.result(state);
  const answer = {
    executionId: state.executionId,
    task: task.id,
    taskVersion: task.version,
    model: outcome.model,
    answer: outcome.text,
  };
  await blobs.put(config.buckets.results, resultKey, Buffer.from(JSON.stringify(answer)), {
    contentType: 'application/json',
  });
  return {
    ...state,
    model: {
      taskId: task.id,
      taskVersion: task.version,
      route: outcome.route,
      model: outcome.model,
      requestIds: outcome.requestIds,
      resultKey,
      cached: outcome.cached,
      attempts: outcome.attempts,
      usage: outcome.usage,
      estimateMicroUsd: priceOfEstimate(outcome.model, outcome.estimate),
      ...reservation,
      ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
      ...transcriptionSection(outcome.transcription),
    },
  };
});

function transcriptionSection(stt: TranscriptionStep | undefined): Pick<ModelSection, 'transcription'> {
  if (!stt) return {};
  return {
    transcription: {
      route: stt.route,
      model: stt.model,
      requestIds: stt.requestIds,
      usage: stt.usage,
      estimateMicroUsd: priceOfEstimate(stt.model, stt.estimate),
    },
  };
}
