/**
 * What an execution starts from: an object in the ingest bucket. Uploads through a presigned POST land at
 * `incoming/<tenant>/<id>` (the S3 event starts the Standard workflow); `POST /v1/analyze` writes
 * `realtime/<tenant>/<id>`, which no event rule watches, and starts the Express workflow itself.
 */
import { createHash } from 'node:crypto';
import type { ExecutionInput } from './document.js';

export const UPLOAD_PREFIX = 'incoming/';
export const REALTIME_PREFIX = 'realtime/';

/** The tenant ids presign and analyze accept (they are also key and ledger prefixes). */
export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface ObjectCreated {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly sizeBytes: number;
  readonly time: string;
}

/**
 * The execution for an object version. Its name is derived from bucket, key and version, so a duplicate
 * event for the same version asks for the same name and Step Functions starts nothing new.
 */
export function executionInputFor(
  object: ObjectCreated,
  prefix: typeof UPLOAD_PREFIX | typeof REALTIME_PREFIX = UPLOAD_PREFIX,
): ExecutionInput | undefined {
  if (!object.key.startsWith(prefix)) return undefined;
  const [tenant, id, ...rest] = object.key.slice(prefix.length).split('/');
  if (!tenant || !TENANT_ID.test(tenant) || !id || !/^[A-Za-z0-9._-]{1,200}$/.test(id) || rest.length > 0) {
    return undefined;
  }
  const objectKeyHash = createHash('sha256')
    .update(`${object.bucket}\n${object.key}\n${object.versionId ?? ''}`)
    .digest('hex');
  return {
    executionId: `mg-${objectKeyHash.slice(0, 64)}`,
    bucket: object.bucket,
    key: object.key,
    versionId: object.versionId,
    sizeBytes: object.sizeBytes,
    tenant,
    objectKeyHash,
    receivedAt: object.time,
  };
}
