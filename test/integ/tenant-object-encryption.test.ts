/**
 * The tenant's object store against the local S3 (s3rver): every put and copy names the data key and
 * carries the tenant's encryption context (`x-amz-server-side-encryption-context`, base64 JSON) with bucket
 * keys off, which is what the tenant roles' KMS conditions require in AWS; and the local stand-in takes
 * those requests as S3 does. Without a data key (the local stack's default) no SSE header is sent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore } from '../../functions/adapters/s3-blob-store.js';
import { objectEncryption } from '../../functions/config/adapters.js';
import { loadConfig } from '../../functions/config/settings.js';
import { LOCAL_CREDENTIALS, type LocalS3, startLocalS3 } from '../../infra/local/s3.js';

const BUCKET = 'tenant-objects';
const KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/data-key';

describe('objects written for a tenant', () => {
  let s3: LocalS3;
  let directory: string;
  let client: S3Client;
  const sent: Record<string, string>[] = [];

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-tenant-objects-'));
    s3 = await startLocalS3({ directory, buckets: [BUCKET], onObjectCreated: () => {} });
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    // The headers as they leave the SDK, signed: what S3 (and through it KMS) receives.
    client.middlewareStack.add(
      (next) => async (args) => {
        sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordHeaders' },
    );
  });

  afterAll(async () => {
    await s3.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('carries the data key and the tenant context on put and copy, and reads back what it wrote', async () => {
    // Prepare
    const encryption = objectEncryption(loadConfig({ MEDIAGATE_DATA_KEY_ARN: KEY_ARN }), 'acme');
    const blobs = createS3BlobStore(client, encryption);
    sent.length = 0;
    // Act
    await blobs.put(BUCKET, 'processed/acme/mg-1', Buffer.from('media'), { contentType: 'image/png' });
    await blobs.copy(
      { bucket: BUCKET, key: 'processed/acme/mg-1' },
      { bucket: BUCKET, key: 'quarantine/acme/mg-1/X' },
    );
    const copied = await blobs.get(BUCKET, 'quarantine/acme/mg-1/X');
    // Assess
    const writes = sent.filter((headers) => headers['x-amz-server-side-encryption'] !== undefined);
    expect(writes).toHaveLength(2);
    for (const headers of writes) {
      expect(headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(KEY_ARN);
      expect(headers['x-amz-server-side-encryption-bucket-key-enabled']).toBe('false');
      const context = JSON.parse(
        Buffer.from(headers['x-amz-server-side-encryption-context'] ?? '', 'base64').toString('utf8'),
      );
      expect(context).toEqual({ tenant: 'acme' });
    }
    expect(copied.body.toString()).toBe('media');
  });

  it('sends no encryption settings where no data key is configured (the local stack)', async () => {
    // Prepare
    expect(objectEncryption(loadConfig({}), 'acme')).toBeUndefined();
    const blobs = createS3BlobStore(client, objectEncryption(loadConfig({}), 'acme'));
    sent.length = 0;
    // Act
    await blobs.put(BUCKET, 'processed/acme/mg-2', Buffer.from('media'));
    // Assess
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0] ?? {}).filter((name) => name.startsWith('x-amz-server-side'))).toEqual([]);
  });
});
