/**
 * The DlpCheck step on one pipeline document: read the instructions and the processed media, scan them
 * (`scan.ts`), store the redacted copies, and charge the AWS calls to the ledger before the step returns,
 * so a blocked item is charged for its scan as well.
 */

import { type DlpDeps, type DlpOutcome, runDlpCheck } from '../dlp/scan.js';
import type { BudgetGuard } from '../money/budget.js';
import type { PipelineState } from '../pipeline/document.js';
import { objectKeys, rejected } from '../pipeline/step.js';
import type { BlobStore, Ledger } from '../ports.js';
import { billingSummary, recordDlpBilling } from './billing.js';
import { combinePages, parseTextLayer, textLayerInPixels } from './pages.js';

export interface CheckItemDeps extends DlpDeps {
  readonly blobs: BlobStore;
  readonly ledger: Ledger;
  /** Where the DLP spend also counts against the tenant's budget. @default none (not counted) */
  readonly budget?: Pick<BudgetGuard, 'recordSpend'>;
  readonly buckets: { readonly ingest: string; readonly processed: string; readonly results: string };
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Transcribe job names allow `[0-9a-zA-Z._-]`; execution ids are `mg-<hex>`. */
export const transcriptionJobName = (state: PipelineState): string => `${state.executionId}-dlp`;

export async function checkItem(deps: CheckItemDeps, state: PipelineState): Promise<PipelineState> {
  if (!state.media || !state.processed) throw new Error('DlpCheck needs the Preprocess section');
  // Instructions travel as object metadata; they are read here and never copied into the state.
  const original = await deps.blobs.head(deps.buckets.ingest, state.key, state.versionId);
  const instructions = decodeInstructions(original.metadata.instructions);
  const { processed } = state;
  const pages = processed.pages ?? [
    { key: processed.key, mime: processed.mime, width: processed.width ?? 0, height: processed.height ?? 0 },
  ];
  const layer = processed.textLayerKey
    ? parseTextLayer((await deps.blobs.get(deps.buckets.processed, processed.textLayerKey)).body)
    : undefined;

  // Every page is scanned as an image of its own (OCR, text layer); the instructions once, with page 1.
  const outcomes: DlpOutcome[] = [];
  for (const [index, page] of pages.entries()) {
    const media = await deps.blobs.get(deps.buckets.processed, page.key);
    const textLayer = layer?.pages[index];
    outcomes.push(
      await runDlpCheck(deps, {
        tenant: state.tenant,
        instructions: index === 0 ? instructions : '',
        media: {
          kind: state.media.kind,
          mime: page.mime,
          bytes: media.body,
          location: { bucket: deps.buckets.processed, key: page.key },
          ...(processed.durationSec === undefined ? {} : { durationSec: processed.durationSec }),
          ...(textLayer ? { textLayer: textLayerInPixels(textLayer, page.width, page.height) } : {}),
        },
        transcription: {
          jobName: transcriptionJobName(state),
          output: { bucket: deps.buckets.results, key: objectKeys.transcript(state) },
        },
      }),
    );
  }
  const outcome = combinePages(outcomes, processed.pages !== undefined);
  const { costMicroUsd } = await recordDlpBilling(
    deps.ledger,
    state,
    outcome.billed,
    (deps.now?.() ?? new Date()).toISOString(),
  );
  if (costMicroUsd > 0)
    await deps.budget?.recordSpend(state.tenant, costMicroUsd, `${state.executionId}#DlpCheck`);

  const modelInputKeys: string[] = [];
  for (const [index, page] of pages.entries()) {
    const redacted = outcomes[index]?.redactedImage;
    if (!redacted) {
      modelInputKeys.push(page.key);
      continue;
    }
    const key = objectKeys.page(objectKeys.redacted(state), index + 1);
    await deps.blobs.put(deps.buckets.processed, key, redacted.bytes, { contentType: redacted.mime });
    modelInputKeys.push(key);
  }
  const modelInputKey = modelInputKeys[0] as string;
  const promptKey = objectKeys.prompt(state);
  await deps.blobs.put(deps.buckets.processed, promptKey, Buffer.from(outcome.promptText, 'utf8'), {
    contentType: 'text/plain; charset=utf-8',
  });

  const dlp = {
    detector: outcome.detector,
    decision: outcome.decision,
    findings: outcome.findings,
    ocrScanned: outcome.ocrScanned,
    transcriptScanned: outcome.transcriptScanned,
    modelInputKey,
    ...(processed.pages ? { modelInputKeys } : {}),
    promptKey,
    policyVersion: outcome.policyVersion,
    language: outcome.language,
    ...(outcome.billed.length > 0 ? { billing: billingSummary(outcome.billed) } : {}),
  };
  if (outcome.rejection) return rejected(state, outcome.rejection, { dlp });
  return { ...state, dlp };
}

/** Metadata values are ASCII-only in S3, so clients URI-encode free text. */
function decodeInstructions(raw: string | undefined): string {
  if (!raw) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
