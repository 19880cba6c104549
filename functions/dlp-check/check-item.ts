/**
 * The DlpCheck step on one pipeline document: read the instructions and the processed media, scan them
 * (`scan.ts`), store the redacted copies, and charge the AWS calls to the ledger before the step returns,
 * so a blocked item is charged for its scan as well.
 */

import { policyForTenant } from '../dlp/policy.js';
import { type DlpDeps, runDlpCheck } from '../dlp/scan.js';
import { DLP_VERDICT_TTL_SECONDS, dlpVerdictKey } from '../dlp/verdict-cache.js';
import type { BudgetGuard } from '../money/budget.js';
import type { DlpSection, PipelineState } from '../pipeline/document.js';
import type { Rejection } from '../pipeline/reasons.js';
import { objectKeys, rejected } from '../pipeline/step.js';
import type { BlobStore, CachedDlpVerdict, DlpVerdictCache, Ledger } from '../ports.js';
import { billingSummary, recordDlpBilling } from './billing.js';

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
  const verdictKeyOf = (instructions: string) =>
    dlpVerdictKey({
      processedSha256,
      instructions,
      policyVersion: policyForTenant(state.tenant, state.dlpPolicy).version,
      detector: deps.detector.name,
      ocr: deps.ocr?.name ?? 'none',
      transcriber: deps.transcriber?.name ?? 'none',
    });
  const originalRead = deps.blobs.head(deps.buckets.ingest, state.key, state.versionId);
  // The verdict is looked up beside the media read, so a miss costs no extra round trip.
  const [original, media, cached] = await Promise.all([
    originalRead,
    deps.blobs.get(deps.buckets.processed, state.processed.key),
    lookUpVerdict(deps, state.tenant, originalRead, verdictKeyOf),
  ]);
  const instructions = decodeInstructions(original.metadata.instructions);
  if (cached) {
    const reused = await reuseVerdict(deps, state, cached);
    if (reused) return reused;
  }

  const outcome = await runDlpCheck(deps, {
    tenant: state.tenant,
    ...(state.dlpPolicy ? { policyName: state.dlpPolicy } : {}),
    instructions,
    media: {
      kind: state.media.kind,
      mime: state.processed.mime,
      bytes: media.body,
      location: { bucket: deps.buckets.processed, key: state.processed.key },
      ...(state.processed.durationSec === undefined ? {} : { durationSec: state.processed.durationSec }),
    },
    transcription: {
      jobName: transcriptionJobName(state),
      output: { bucket: deps.buckets.results, key: objectKeys.transcript(state) },
    },
  });
  const { costMicroUsd } = await recordDlpBilling(
    deps.ledger,
    state,
    outcome.billed,
    (deps.now?.() ?? new Date()).toISOString(),
  );
  if (costMicroUsd > 0)
    await deps.budget?.recordSpend(state.tenant, costMicroUsd, `${state.executionId}#DlpCheck`);

  const redactedImage = outcome.redactedImage;
  const modelInputKey = redactedImage ? objectKeys.redacted(state) : state.processed.key;
  const promptKey = objectKeys.prompt(state);
  await Promise.all([
    redactedImage
      ? deps.blobs.put(deps.buckets.processed, modelInputKey, redactedImage.bytes, {
          contentType: redactedImage.mime,
        })
      : undefined,
    deps.blobs.put(deps.buckets.processed, promptKey, Buffer.from(outcome.promptText, 'utf8'), {
      contentType: 'text/plain; charset=utf-8',
    }),
  ]);
  if (deps.verdicts) {
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
      ...(redactedImage ? { redactedImageKey: modelInputKey, redactedImageMime: redactedImage.mime } : {}),
    };
    // The cache saves work next time; failing to fill it never fails this item.
    await deps.verdicts
      .put(state.tenant, verdictKeyOf(instructions), verdict, DLP_VERDICT_TTL_SECONDS)
      .catch((error: unknown) => deps.log?.('DLP verdict cache write failed', { error: String(error) }));
  }

  const dlp = {
    detector: outcome.detector,
    decision: outcome.decision,
    findings: outcome.findings,
    ocrScanned: outcome.ocrScanned,
    transcriptScanned: outcome.transcriptScanned,
    modelInputKey,
    promptKey,
    policyVersion: outcome.policyVersion,
    language: outcome.language,
    ...(outcome.billed.length > 0 ? { billing: billingSummary(outcome.billed) } : {}),
  };
  if (outcome.rejection) return rejected(state, outcome.rejection, { dlp });
  return { ...state, dlp };
}

async function lookUpVerdict(
  deps: CheckItemDeps,
  tenant: string,
  originalRead: Promise<{ metadata: Record<string, string> }>,
  verdictKeyOf: (instructions: string) => string,
): Promise<CachedDlpVerdict | undefined> {
  if (!deps.verdicts) return undefined;
  const verdicts = deps.verdicts;
  try {
    const original = await originalRead;
    return await verdicts.get(tenant, verdictKeyOf(decodeInstructions(original.metadata.instructions)));
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
  const promptKey = objectKeys.prompt(state);
  const modelInputKey = verdict.redactedImageKey ? objectKeys.redacted(state) : (state.processed?.key ?? '');
  const bucket = deps.buckets.processed;
  try {
    await Promise.all([
      deps.blobs.copy({ bucket, key: verdict.promptKey }, { bucket, key: promptKey }),
      verdict.redactedImageKey
        ? deps.blobs.copy({ bucket, key: verdict.redactedImageKey }, { bucket, key: modelInputKey })
        : undefined,
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
    promptKey,
    policyVersion: verdict.policyVersion,
    language: verdict.language,
    verdictReused: true,
  };
  return verdict.rejection ? rejected(state, verdict.rejection as Rejection, { dlp }) : { ...state, dlp };
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
