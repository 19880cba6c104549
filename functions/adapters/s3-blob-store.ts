import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlobStore, StoredObject } from '../ports.js';

/** BlobStore over S3. Encryption is the buckets' default (SSE-KMS), so no per-call key settings. */
export function createS3BlobStore(client: S3Client): BlobStore {
  return {
    async get(bucket, key, versionId): Promise<StoredObject> {
      const response = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
      );
      if (!response.Body) throw new Error(`object body missing for s3://${bucket}/<key>`);
      const body = Buffer.from(await response.Body.transformToByteArray());
      return {
        body,
        contentType: response.ContentType,
        metadata: response.Metadata ?? {},
        versionId: response.VersionId,
      };
    },
    async head(bucket, key, versionId) {
      const response = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
      );
      return {
        contentType: response.ContentType,
        metadata: response.Metadata ?? {},
        versionId: response.VersionId,
      };
    },
    async put(bucket, key, body, options) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: options?.contentType,
          Metadata: options?.metadata,
        }),
      );
    },
    async copy(from, to) {
      // CopySource is URL-encoded per path segment; the slashes between segments stay as they are.
      const encodedKey = from.key.split('/').map(encodeURIComponent).join('/');
      const source = `${from.bucket}/${encodedKey}${from.versionId ? `?versionId=${encodeURIComponent(from.versionId)}` : ''}`;
      await client.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source }));
    },
  };
}
