import type { ObjectCreated } from '../pipeline/execution-input.js';

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
