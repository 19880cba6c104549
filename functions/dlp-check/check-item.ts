/**
 * The DlpCheck step on one pipeline document: read the instructions and the processed media, scan them
 * (`scan.ts`), store the redacted copies, and charge the AWS calls to the ledger before the step returns,
 * so a blocked item is charged for its scan as well.
 */

import { policyForTenant } from '../dlp/policy.js';
import { type DlpDeps, type DlpOutcome, runDlpCheck } from '../dlp/scan.js';
import {
  DLP_VERDICT_TTL_SECONDS,
  decodeInstructions,
  dlpVerdictKey,
  instructionsFingerprint,
} from '../dlp/verdict-cache.js';
import type { BudgetGuard } from '../money/budget.js';
import type { DlpSection, PipelineState } from '../pipeline/document.js';
import type { Rejection } from '../pipeline/reasons.js';
import { objectKeys, queueDecisionNow, rejected } from '../pipeline/step.js';
import type { BlobStore, CachedDlpVerdict, DlpVerdictCache, Ledger } from '../ports.js';
import { billingSummary, recordDlpBilling } from './billing.js';
import { combinePages, parseTextLayer, textLayerInPixels } from './pages.js';

export interface CheckItemDeps extends DlpDeps {
  readonly blobs: BlobStore;
  readonly ledger: Ledger;
  /** Where the DLP spend also counts against the tenant's budget. @default none (not counted) */
  readonly budget?: Pick<BudgetGuard, 'recordSpend'>;
  readonly buckets: { readonly ingest: string; readonly processed: string; readonly results: string };
  /** Verdicts already reached for the same media, instructions and policy version. @default none */
  readonly verdicts?: DlpVerdictCache;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** Transcribe job names allow `[0-9a-zA-Z._-]`; execution ids are `mg-<hex>`. */
export const transcriptionJobName = (state: PipelineState): string => `${state.executionId}-dlp`;

export async function checkItem(deps: CheckItemDeps, state: PipelineState): Promise<PipelineState> {
  if (!state.media || !state.processed) throw new Error('DlpCheck needs the Preprocess section');
  // Instructions travel as object metadata; they are read here and never copied into the state.
  const processedSha256 = state.processed.sha256;
  const verdictKeyOf = (fingerprint: string) =>
    dlpVerdictKey({
      processedSha256,
      instructionsFingerprint: fingerprint,
      policyVersion: policyForTenant(state.tenant, state.dlpPolicy).version,
      detector: deps.detector.name,
      ocr: deps.ocr?.name ?? 'none',
      transcriber: deps.transcriber?.name ?? 'none',
    });
  const { processed } = state;
  const pages = pagesOf(processed);
  const paged = processed.pages !== undefined;
  // ValidateAndStrip recorded the instructions' fingerprint; a document from before it did reads them first.
  const recorded = state.media.instructionsFingerprint;
  // An item sent without instructions has nothing in the original's metadata to read.
  const originalRead: Promise<{ metadata: Readonly<Record<string, string>> }> =
    recorded === instructionsFingerprint(state.tenant, undefined)
      ? Promise.resolve({ metadata: {} })
      : deps.blobs.head(deps.buckets.ingest, state.key, state.versionId);
  const verdictKey = recorded
    ? Promise.resolve(verdictKeyOf(recorded))
    : originalRead.then((original) =>
        verdictKeyOf(instructionsFingerprint(state.tenant, original.metadata.instructions)),
      );
  // Awaited below wherever it is needed; a failed read surfaces there, never as an unhandled rejection.
  verdictKey.catch(() => undefined);
  // The verdict is looked up beside the media reads, so a miss costs no extra round trip.
  const [original, media, layer, cached] = await Promise.all([
    originalRead,
    Promise.all(pages.map((page) => deps.blobs.get(deps.buckets.processed, page.key))),
    processed.textLayerKey
      ? deps.blobs
          .get(deps.buckets.processed, processed.textLayerKey)
          .then((text) => parseTextLayer(text.body))
      : undefined,
    lookUpVerdict(deps, state.tenant, verdictKey),
  ]);
  const instructions = decodeInstructions(original.metadata.instructions);
  if (cached) {
    const reused = await reuseVerdict(deps, state, cached);
    if (reused) return reused;
  }

  // Every page is scanned as an image of its own (OCR, text layer); the instructions once, with page 1.
  const outcomes: DlpOutcome[] = [];
  for (const [index, page] of pages.entries()) {
    const textLayer = layer?.pages[index];
    outcomes.push(
      await runDlpCheck(deps, {
        tenant: state.tenant,
        ...(state.dlpPolicy ? { policyName: state.dlpPolicy } : {}),
        instructions: index === 0 ? instructions : '',
        media: {
          kind: state.media.kind,
          mime: page.mime,
          bytes: (media[index] as { body: Buffer }).body,
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
  const outcome = combinePages(outcomes, paged);
  const { costMicroUsd } = await recordDlpBilling(
    deps.ledger,
    state,
    outcome.billed,
    (deps.now?.() ?? new Date()).toISOString(),
  );
  if (costMicroUsd > 0)
    await deps.budget?.recordSpend(state.tenant, costMicroUsd, `${state.executionId}#DlpCheck`);

  // Each page the scan painted is stored as this item's redacted copy of that page; the others go as they are.
  const redactedPages = pages.flatMap((_, index) => {
    const redacted = outcomes[index]?.redactedImage;
    return redacted
      ? [{ page: index + 1, key: objectKeys.page(objectKeys.redacted(state), index + 1), redacted }]
      : [];
  });
  const modelInputKeys = pages.map(
    (page, index) => redactedPages.find((r) => r.page === index + 1)?.key ?? page.key,
  );
  const modelInputKey = modelInputKeys[0] as string;
  const promptKey = objectKeys.prompt(state);
  // The verdict is written beside the objects it names: a reuse that finds them gone scans again.
  let verdictWritten: Promise<unknown> | undefined;
  if (deps.verdicts) {
    const firstRedacted = redactedPages.find((r) => r.page === 1);
    const verdict: CachedDlpVerdict = {
      decision: outcome.decision,
      ...(outcome.rejection ? { rejection: outcome.rejection } : {}),
      findings: outcome.findings,
      ocrScanned: outcome.ocrScanned,
      ...(outcome.transcriptScanned === undefined ? {} : { transcriptScanned: outcome.transcriptScanned }),
      policyVersion: outcome.policyVersion,
      language: outcome.language,
      detector: outcome.detector,
      promptKey,
      ...(firstRedacted
        ? { redactedImageKey: firstRedacted.key, redactedImageMime: firstRedacted.redacted.mime }
        : {}),
      // Documents: every page's redacted copy, so a reuse restores each page's model input, not only page 1's.
      ...(paged
        ? {
            pages: pages.length,
            redactedPages: redactedPages.map(({ page, key, redacted }) => ({
              page,
              key,
              mime: redacted.mime,
            })),
          }
        : {}),
    };
    // The cache saves work next time; failing to fill it never fails this item.
    verdictWritten = deps.verdicts
      .put(state.tenant, await verdictKey, verdict, DLP_VERDICT_TTL_SECONDS)
      .catch((error: unknown) => deps.log?.('DLP verdict cache write failed', { error: String(error) }));
  }

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
  const next = outcome.rejection ? rejected(state, outcome.rejection, { dlp }) : { ...state, dlp };
  await Promise.all([
    verdictWritten,
    ...redactedPages.map(({ key, redacted }) =>
      deps.blobs.put(deps.buckets.processed, key, redacted.bytes, { contentType: redacted.mime }),
    ),
    deps.blobs.put(deps.buckets.processed, promptKey, Buffer.from(outcome.promptText, 'utf8'), {
      contentType: 'text/plain; charset=utf-8',
    }),
    // The verdict is settled: it is queued for the audit trail beside the objects it names.
    queueDecisionNow(next),
  ]);
  return next;
}

async function lookUpVerdict(
  deps: CheckItemDeps,
  tenant: string,
  verdictKey: Promise<string>,
): Promise<CachedDlpVerdict | undefined> {
  if (!deps.verdicts) return undefined;
  const verdicts = deps.verdicts;
  try {
    return await verdicts.get(tenant, await verdictKey);
  } catch (error) {
    deps.log?.('DLP verdict cache read failed; scanning', { error: String(error) });
    return undefined;
  }
}

/**
 * The document with a verdict reached before: that scan's prompt and redacted image are copied to this
 * item's keys (server-side). Nothing is billed: no detector ran. Undefined when the copies are gone, and
 * the item is scanned again.
 */
async function reuseVerdict(
  deps: CheckItemDeps,
  state: PipelineState,
  verdict: CachedDlpVerdict,
): Promise<PipelineState | undefined> {
  if (!state.processed) return undefined;
  const pages = pagesOf(state.processed);
  const paged = state.processed.pages !== undefined;
  // A document's verdict names every page's redacted copy; one without them (or for another page count)
  // could not restore the pages after the first, so the item is scanned again.
  if (paged && (verdict.pages !== pages.length || !verdict.redactedPages)) return undefined;
  const redactedPages = paged
    ? (verdict.redactedPages ?? [])
    : verdict.redactedImageKey
      ? [{ page: 1, key: verdict.redactedImageKey }]
      : [];
  const promptKey = objectKeys.prompt(state);
  const copies = redactedPages.map(({ page, key }) => ({
    page,
    from: key,
    to: objectKeys.page(objectKeys.redacted(state), page),
  }));
  // This item's own processed pages are the same bytes (the hash covers every page), so unpainted pages
  // go to the model from its own keys; painted ones are copied from the earlier scan.
  const modelInputKeys = pages.map((page, index) => copies.find((c) => c.page === index + 1)?.to ?? page.key);
  const modelInputKey = modelInputKeys[0] as string;
  const bucket = deps.buckets.processed;
  try {
    await Promise.all([
      deps.blobs.copy({ bucket, key: verdict.promptKey }, { bucket, key: promptKey }),
      ...copies.map(({ from, to }) => deps.blobs.copy({ bucket, key: from }, { bucket, key: to })),
    ]);
  } catch (error) {
    deps.log?.('DLP verdict copies are gone; scanning again', { error: String(error) });
    return undefined;
  }
  const dlp: DlpSection = {
    detector: verdict.detector,
    decision: verdict.decision,
    // Stored as the scan wrote them (types, spans and scores; never values).
    findings: verdict.findings as DlpSection['findings'],
    ocrScanned: verdict.ocrScanned,
    ...(verdict.transcriptScanned === undefined ? {} : { transcriptScanned: verdict.transcriptScanned }),
    modelInputKey,
    ...(paged ? { modelInputKeys } : {}),
    promptKey,
    policyVersion: verdict.policyVersion,
    language: verdict.language,
    verdictReused: true,
  };
  return verdict.rejection ? rejected(state, verdict.rejection as Rejection, { dlp }) : { ...state, dlp };
}

/** The item's pages: a document's, or the single processed image or audio as page 1. */
function pagesOf(processed: NonNullable<PipelineState['processed']>): readonly ProcessedPageRef[] {
  return (
    processed.pages ?? [
      {
        key: processed.key,
        mime: processed.mime,
        width: processed.width ?? 0,
        height: processed.height ?? 0,
      },
    ]
  );
}

interface ProcessedPageRef {
  readonly key: string;
  readonly mime: string;
  readonly width: number;
  readonly height: number;
}
