import { createS3BlobStore } from '../shared/adapters/s3-blob-store.js';
import { s3Client } from '../shared/clients.js';
import { createOcr, createPiiDetector, createTranscriber, loadConfig } from '../shared/config.js';
import { objectKeys, pipelineStep, rejected } from '../shared/step.js';
import { runDlpCheck } from './scan.js';

const config = loadConfig();
const blobs = createS3BlobStore(s3Client(config));
const deps = {
  detector: await createPiiDetector(config),
  ocr: await createOcr(config),
  transcriber: await createTranscriber(config),
};

/** Finds PII in the instructions, the image's text and the transcript; the tenant's policy decides. */
export const handler = pipelineStep('DlpCheck', async (state) => {
  if (!state.media || !state.processed) throw new Error('DlpCheck needs the Preprocess section');
  // Instructions travel as object metadata; they are read here and never copied into the state.
  const original = await blobs.head(config.buckets.ingest, state.key, state.versionId);
  const instructions = decodeInstructions(original.metadata.instructions);
  const media = await blobs.get(config.buckets.processed, state.processed.key);

  const outcome = await runDlpCheck(deps, {
    tenant: state.tenant,
    instructions,
    media: { kind: state.media.kind, mime: state.processed.mime, bytes: media.body },
  });

  let modelInputKey = state.processed.key;
  if (outcome.redactedImage) {
    modelInputKey = objectKeys.redacted(state);
    await blobs.put(config.buckets.processed, modelInputKey, outcome.redactedImage.bytes, {
      contentType: outcome.redactedImage.mime,
    });
  }
  const promptKey = objectKeys.prompt(state);
  await blobs.put(config.buckets.processed, promptKey, Buffer.from(outcome.promptText, 'utf8'), {
    contentType: 'text/plain; charset=utf-8',
  });

  const dlp = {
    detector: outcome.detector,
    decision: outcome.decision,
    findings: outcome.findings,
    ocrScanned: outcome.ocrScanned,
    transcriptScanned: outcome.transcriptScanned,
    modelInputKey,
    promptKey,
    policyVersion: outcome.policyVersion,
  };
  if (outcome.rejection) return rejected(state, outcome.rejection, { dlp });
  return { ...state, dlp };
});

/** Metadata values are ASCII-only in S3, so clients URI-encode free text. */
function decodeInstructions(raw: string | undefined): string {
  if (!raw) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
