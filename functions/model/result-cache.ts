/**
 * Result cache: the same media, asked the same question by the same tenant, within a task's TTL, is
 * answered from the cache without calling the model (and costs nothing). Everything that could change the
 * answer is in the key, so a tenant never sees another's answer and a new task or model version misses.
 */
import { createHash } from 'node:crypto';
import type { ImageDetail } from '../ports.js';

export interface CacheKeyParts {
  readonly tenant: string;
  /** SHA-256 of the processed media bytes the model receives ('' for text-only requests). */
  readonly mediaSha256: string;
  /** SHA-256 of the (redacted) user prompt: the same image with another question is another answer. */
  readonly promptSha256: string;
  readonly taskId: string;
  readonly taskVersion: string;
  readonly model: string;
  readonly detail: ImageDetail;
  /** Hash of the response schema ('' without one), so a schema edit without a version bump still misses. */
  readonly schemaVersion: string;
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
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
      'v1',
      parts.tenant,
      parts.mediaSha256,
      parts.promptSha256,
      parts.taskId,
      parts.taskVersion,
      parts.model,
      parts.detail,
      parts.schemaVersion,
    ]),
  );
}
