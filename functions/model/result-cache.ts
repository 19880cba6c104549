/**
 * Result cache: the same media, asked the same question by the same tenant under the same DLP policy,
 * within a task's TTL, is answered from the cache without DLP or the model (and costs nothing). It is
 * consulted right after sanitisation (ValidateAndStrip), so a hit skips resizing and OCR too. Everything that could change the answer is in
 * the key: a tenant never sees another's answer, a new task version (which is how routes and models
 * change) misses, and so does a new DLP policy version, so a policy change can never serve an answer the
 * new policy would block.
 */
import { sha256Hex } from '../media/content-hash.js';
import type { ImageDetail } from '../ports.js';
import type { TaskDefinition } from './tasks.js';

export interface CacheKeyParts {
  readonly tenant: string;
  /**
   * SHA-256 of the media: in the pipeline the clean copy ValidateAndStrip made (functions/media/content-hash.ts);
   * for a direct call, the bytes the model receives ('' for text-only requests).
   */
  readonly mediaSha256: string;
  /** SHA-256 of the question as the user sent it: the same image with another question is another answer. */
  readonly promptSha256: string;
  readonly taskId: string;
  readonly taskVersion: string;
  readonly detail: ImageDetail;
  /** Hash of the response schema ('' without one), so a schema edit without a version bump still misses. */
  readonly schemaVersion: string;
  /** The tenant's DLP policy version: what was allowed or redacted under one policy is not under another. */
  readonly policyVersion: string;
}

/** Canonical JSON (sorted keys) so two equal schemas hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function schemaVersion(schema: { name: string; schema: Record<string, unknown> } | undefined): string {
  return schema ? sha256Hex(canonical(schema)).slice(0, 16) : '';
}

export function resultCacheKey(parts: CacheKeyParts): string {
  // JSON of a fixed-order array: no separator ambiguity between fields.
  return sha256Hex(
    JSON.stringify([
      'v2',
      parts.tenant,
      parts.mediaSha256,
      parts.promptSha256,
      parts.taskId,
      parts.taskVersion,
      parts.detail,
      parts.schemaVersion,
      parts.policyVersion,
    ]),
  );
}

/**
 * The key of one item's question, the same in ValidateAndStrip (which looks it up before Preprocess and
 * DLP) and InvokeModel (which stores the answer): the instructions as they arrived (object metadata,
 * before any redaction), so both steps compute it without the prompt ever entering the pipeline document.
 */
export function itemCacheKey(args: {
  readonly tenant: string;
  readonly mediaSha256: string;
  readonly instructionsAsSent: string;
  readonly task: TaskDefinition;
  readonly policyVersion: string;
}): string {
  return resultCacheKey({
    tenant: args.tenant,
    mediaSha256: args.mediaSha256,
    promptSha256: sha256Hex(args.instructionsAsSent),
    taskId: args.task.id,
    taskVersion: args.task.version,
    detail: args.task.detail,
    schemaVersion: schemaVersion(args.task.responseSchema),
    policyVersion: args.policyVersion,
  });
}
