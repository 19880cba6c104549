import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlobStore, StoredObject } from '../ports.js';

/**
 * SSE-KMS settings for the objects a store writes. The encryption context is stored with each object and
 * S3 sends it to KMS on every later read, so a key policy or a role can require it (`tenant` in ours).
 */
export interface ObjectEncryption {
  readonly kmsKeyId: string;
  readonly context: Readonly<Record<string, string>>;
}

/**
 * BlobStore over S3. Without `encryption` objects get the bucket's default (SSE-KMS in AWS); with it,
 * every put and copy names the key and carries the context (`x-amz-server-side-encryption-context`),
 * with bucket keys off so the per-object context reaches KMS.
 */
export function createS3BlobStore(client: S3Client, encryption?: ObjectEncryption): BlobStore {
  const sse = encryption
    ? {
        ServerSideEncryption: 'aws:kms' as const,
        SSEKMSKeyId: encryption.kmsKeyId,
        SSEKMSEncryptionContext: Buffer.from(JSON.stringify(encryption.context), 'utf8').toString('base64'),
        BucketKeyEnabled: false,
      }
    : {};
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
          ...sse,
        }),
      );
    },
    async copy(from, to) {
      // CopySource is URL-encoded per path segment; the slashes between segments stay as they are.
      const encodedKey = from.key.split('/').map(encodeURIComponent).join('/');
      const source = `${from.bucket}/${encodedKey}${from.versionId ? `?versionId=${encodeURIComponent(from.versionId)}` : ''}`;
      // A copy does not inherit the source's context: it is given again, for the destination object.
      await client.send(
        new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source, ...sse }),
      );
    },
  };
}
