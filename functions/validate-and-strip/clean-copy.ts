/**
 * What ValidateAndStrip does with an accepted upload: the clean copy's pages (and a document's text layer)
 * stored for Preprocess, its identity hashed, the item's question keyed, and the result cache asked while
 * the copy is written (cache first). A hit comes back answered and goes straight to RecordCost; a miss goes
 * on to Preprocess with the key InvokeModel will store its answer under.
 */
import { instructionsFingerprint } from '../dlp/verdict-cache.js';
import { contentSha256, sha256Hex } from '../media/content-hash.js';
import type { SanitizeOutcome } from '../media/sanitize.js';
import { answerFromCache, type CacheFirstDeps } from '../model/cache-first.js';
import { instructionsOf, questionKeyOf } from '../model/item-answer.js';
import type { TaskDefinition } from '../model/tasks.js';
import type { MediaSection, PipelineState } from '../pipeline/document.js';
import { putPages } from '../pipeline/page-objects.js';
import { objectKeys, queueDecisionNow } from '../pipeline/step.js';

export interface CleanCopyDeps extends CacheFirstDeps {
  readonly buckets: CacheFirstDeps['buckets'] & { readonly processed: string };
}

export interface AcceptedUpload {
  readonly outcome: Extract<SanitizeOutcome, { ok: true }>;
  readonly task: TaskDefinition;
  /** The original's Content-Type and metadata (the instructions travel there, never in the document). */
  readonly declaredType: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  /** The tenant's DLP policy (name and version): the question is keyed under it. */
  readonly dlpPolicy: { readonly name: string | undefined; readonly version: string };
}

export async function storeCleanCopy(
  deps: CleanCopyDeps,
  state: PipelineState,
  accepted: AcceptedUpload,
): Promise<PipelineState> {
  const { outcome, task } = accepted;
  const sanitizedKey = objectKeys.sanitized(state);
  const pages = outcome.pages ?? [{ bytes: outcome.bytes, mime: outcome.outputType, text: '', lines: [] }];
  const pageKeys = pages.map((_, index) => objectKeys.page(sanitizedKey, index + 1));
  const textLayerKey = objectKeys.textLayer(sanitizedKey);
  const hasText = pages.some((page) => page.text.trim() !== '');
  const textLayer = hasText
    ? Buffer.from(JSON.stringify({ pages: pages.map(({ text, lines }) => ({ text, lines })) }))
    : undefined;
  const sha256 = contentSha256(
    pages.map((page) => sha256Hex(page.bytes)),
    textLayer,
    outcome.pages !== undefined,
  );
  const question = {
    cacheKey: questionKeyOf(
      { tenant: state.tenant, mediaSha256: sha256 },
      instructionsOf(accepted.metadata),
      task,
      accepted.dlpPolicy.version,
    ),
    policyVersion: accepted.dlpPolicy.version,
    taskId: task.id,
  };
  const media: MediaSection = {
    kind: outcome.kind,
    inputType: outcome.inputType,
    declaredType: accepted.declaredType,
    sanitizedKey,
    removed: outcome.removed,
    ...(outcome.sourceWidth && outcome.sourceHeight
      ? { sourceWidth: outcome.sourceWidth, sourceHeight: outcome.sourceHeight }
      : {}),
    ...(outcome.pages
      ? {
          pages: pages.length,
          pageKeys,
          ...(hasText ? { textLayerKey } : {}),
        }
      : {}),
    sha256,
    question,
    instructionsFingerprint: instructionsFingerprint(state.tenant, accepted.metadata.instructions),
  };
  const validated: PipelineState = {
    ...state,
    task: task.id,
    ...(accepted.dlpPolicy.name ? { dlpPolicy: accepted.dlpPolicy.name } : {}),
    media,
  };
  // The clean copy is written while the cache is asked (a hit's document points to it as well), and the
  // verdict, settled now, is queued for the audit trail beside them.
  const [answered] = await Promise.all([
    answerFromCache(deps, validated, task, question.cacheKey),
    queueDecisionNow(validated),
    putPages(
      deps.blobs,
      deps.buckets.processed,
      pages.map((page, index) => ({
        key: pageKeys[index] as string,
        bytes: page.bytes,
        mime: page.mime,
      })),
      textLayer ? { key: textLayerKey, body: textLayer } : undefined,
    ),
  ]);
  return answered ?? { ...validated, media: { ...media, cacheMissed: true } };
}
