import { estimateMicroUsd } from '../record-cost/prices.js';
import { createOpenAiModelClient } from '../shared/adapters/openai-model-client.js';
import { createS3BlobStore } from '../shared/adapters/s3-blob-store.js';
import { s3Client } from '../shared/clients.js';
import { loadConfig, resolveOpenAiApiKey } from '../shared/config.js';
import type { ModelClient, ModelMedia } from '../shared/ports.js';
import { reject } from '../shared/reasons.js';
import { objectKeys, pipelineStep, rejected } from '../shared/step.js';
import { invokeModel } from './invoke.js';
import type { RouteDefinition } from './routes.js';
import { findTask } from './tasks.js';

const config = loadConfig();
const blobs = createS3BlobStore(s3Client(config));
const apiKey = await resolveOpenAiApiKey(config);
const clientsByEndpoint = new Map<string, ModelClient>();

function clientFor(route: RouteDefinition): ModelClient {
  let client = clientsByEndpoint.get(route.endpoint);
  if (!client) {
    client = createOpenAiModelClient({
      apiKey,
      baseURL: config.openai.baseURL,
      timeoutMs: config.openai.timeoutMs,
    });
    clientsByEndpoint.set(route.endpoint, client);
  }
  return client;
}

/** Calls the model for the task with the (possibly redacted) media; outages park the item via Retry. */
export const handler = pipelineStep('InvokeModel', async (state) => {
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

  const outcome = await invokeModel(
    { clientFor },
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
  );
  if (!outcome.ok) return rejected(state, outcome.rejection);

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
  const estimate = outcome.estimate;
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
      estimateMicroUsd: estimateMicroUsd({
        model: outcome.model,
        inputTokens: estimate.textTokens + estimate.imageTokens,
        audioInputTokens: estimate.audioTokens,
        outputTokens: estimate.maxOutputTokens,
      }),
    },
  };
});
