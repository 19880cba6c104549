import { createHash } from 'node:crypto';
import type { ExecutionInput } from '../pipeline/document.js';

/** Uploads land at incoming/<tenant>/<id>; the presign step is the only writer of that prefix. */
const INGEST_KEY = /^incoming\/([a-z0-9][a-z0-9-]{0,62})\/[A-Za-z0-9._-]{1,200}$/;

export interface ObjectCreated {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly sizeBytes: number;
  readonly time: string;
}

/** Reads EventBridge's "Object Created" event from S3; anything else is not ours and yields undefined. */
export function parseObjectCreated(event: unknown): ObjectCreated | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { source, 'detail-type': detailType, detail, time } = event as Record<string, unknown>;
  if (source !== 'aws.s3' || detailType !== 'Object Created') return undefined;
  const { bucket, object } = (detail ?? {}) as {
    bucket?: { name?: unknown };
    object?: Record<string, unknown>;
  };
  if (typeof bucket?.name !== 'string' || typeof object?.key !== 'string') return undefined;
  const versionId = object['version-id'];
  return {
    bucket: bucket.name,
    key: object.key,
    versionId: typeof versionId === 'string' && versionId !== 'null' ? versionId : undefined,
    sizeBytes: typeof object.size === 'number' ? object.size : 0,
    time: typeof time === 'string' ? time : new Date().toISOString(),
  };
}

/**
 * The execution for an object version. Its name is derived from bucket, key and version, so a duplicate
 * event for the same version asks for the same name and Step Functions starts nothing new.
 */
export function executionInputFor(object: ObjectCreated): ExecutionInput | undefined {
  const match = INGEST_KEY.exec(object.key);
  if (!match?.[1]) return undefined;
  const objectKeyHash = createHash('sha256')
    .update(`${object.bucket}\n${object.key}\n${object.versionId ?? ''}`)
    .digest('hex');
  return {
    executionId: `mg-${objectKeyHash.slice(0, 64)}`,
    bucket: object.bucket,
    key: object.key,
    versionId: object.versionId,
    sizeBytes: object.sizeBytes,
    tenant: match[1],
    objectKeyHash,
    receivedAt: object.time,
  };
}
