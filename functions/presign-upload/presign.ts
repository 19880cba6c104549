import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { uploadTypesForTenant } from '../dlp/upload-types.js';

/** Declared types we accept a presign for. The bytes are checked again later: this is a claim, not proof. */
export const PRESIGNABLE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
  'audio/wav',
  'audio/x-wav',
  'audio/mpeg',
  'audio/mp4',
  'audio/x-m4a',
  'audio/aac',
  'audio/flac',
  'audio/ogg',
  'audio/webm',
] as const;

/** Rasterised on the way in (one image per PDF page; HEIC to JPEG), so only when the tenant's policy takes them. */
export const PDF_TYPES = ['application/pdf'] as const;
export const HEIC_TYPES = ['image/heic', 'image/heif'] as const;

/**
 * The declared types a tenant may upload: the images and audio every tenant may, plus what its policy adds
 * (`policy`: the DLP policy the tenant registry names, as ValidateAndStrip applies it).
 */
export function presignableTypesFor(tenant: string, policy?: string): readonly string[] {
  const accepts = uploadTypesForTenant(tenant, policy);
  return [...PRESIGNABLE_TYPES, ...(accepts.pdf ? PDF_TYPES : []), ...(accepts.heic ? HEIC_TYPES : [])];
}

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TASK = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_INSTRUCTIONS_BYTES = 1024;

export interface PresignRequest {
  readonly tenant: string;
  readonly contentType: string;
  readonly task?: string;
  readonly instructions?: string;
}

export interface PresignedUpload {
  readonly url: string;
  readonly fields: Record<string, string>;
  readonly key: string;
  readonly expiresAt: string;
}

export type PresignResult = { ok: true; upload: PresignedUpload } | { ok: false; message: string };

/**
 * The body's fields. `tenant` may be left out by a caller bound to a tenant in the registry (the
 * handler fills it in from the caller's identity); `boundTenant` is that tenant, when there is one, and
 * `policy` the DLP policy its registry record names.
 */
export function parsePresignRequest(
  body: unknown,
  boundTenant?: string,
  policy?: string,
): PresignRequest | string {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object';
  const { contentType, task, instructions } = body as Record<string, unknown>;
  const tenant = (body as Record<string, unknown>).tenant ?? boundTenant;
  if (typeof tenant !== 'string' || !TENANT.test(tenant)) return 'tenant must match [a-z0-9][a-z0-9-]{0,62}';
  const allowed = presignableTypesFor(tenant, policy);
  if (typeof contentType !== 'string' || !allowed.includes(contentType)) {
    return `contentType must be one of ${allowed.join(', ')}`;
  }
  if (task !== undefined && (typeof task !== 'string' || !TASK.test(task)))
    return 'task must match [a-z0-9-]';
  if (instructions !== undefined && typeof instructions !== 'string') return 'instructions must be a string';
  if (
    instructions !== undefined &&
    Buffer.byteLength(encodeURIComponent(instructions)) > MAX_INSTRUCTIONS_BYTES
  ) {
    return `instructions must encode to at most ${MAX_INSTRUCTIONS_BYTES} bytes`;
  }
  return { tenant, contentType, task, instructions };
}

/**
 * A presigned POST scoped to one new key under the tenant's prefix, with the size range and the declared
 * content type pinned by the policy, so the holder can upload exactly one object and nothing else.
 */
export async function presignUpload(
  deps: { client: S3Client; bucket: string; maxBytes: number; expirySeconds: number; now?: () => Date },
  request: PresignRequest,
): Promise<PresignedUpload> {
  const key = `incoming/${request.tenant}/${randomUUID()}`;
  const fields: Record<string, string> = { 'Content-Type': request.contentType };
  if (request.task) fields['x-amz-meta-task'] = request.task;
  if (request.instructions) fields['x-amz-meta-instructions'] = encodeURIComponent(request.instructions);
  const conditions: Parameters<typeof createPresignedPost>[1]['Conditions'] = [
    ['content-length-range', 1, deps.maxBytes],
    ['eq', '$Content-Type', request.contentType],
    ...Object.entries(fields)
      .filter(([name]) => name.startsWith('x-amz-meta-'))
      .map(([name, value]) => ['eq', `$${name}`, value] as ['eq', string, string]),
  ];
  const { url, fields: signedFields } = await createPresignedPost(deps.client, {
    Bucket: deps.bucket,
    Key: key,
    Conditions: conditions,
    Fields: fields,
    Expires: deps.expirySeconds,
  });
  const now = deps.now?.() ?? new Date();
  return {
    url,
    fields: signedFields,
    key,
    expiresAt: new Date(now.getTime() + deps.expirySeconds * 1000).toISOString(),
  };
}
