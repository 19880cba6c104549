/**
 * AuditRecordStore on the audit bucket: `records/<tenant>/<seq, 12 digits>.json` and
 * `heads/<tenant>/<seq>.json`. In AWS the bucket has Object Lock with a default retention (governance or
 * compliance mode), so a stored version cannot be overwritten or deleted before it expires; the local
 * stand-in (s3rver) does not enforce Object Lock (docs/audit.md). Listing returns bodies as stored:
 * judging them is the verifier's job.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { auditKeys } from '../audit/record.js';
import type { AuditRecordStore, SignedAuditHead } from '../ports.js';

function isMissing(error: unknown): boolean {
  return (
    error instanceof NotFound ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}

export function createS3AuditStore(client: S3Client, bucket: string): AuditRecordStore {
  const exists = async (key: string) => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  };
  const put = async (key: string, body: string) => {
    // The SDK's default checksum header satisfies Object Lock's integrity requirement on PUT.
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  };
  const listKeys = async (prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  };
  const bodies = async (prefix: string) =>
    Promise.all(
      (await listKeys(prefix)).map(async (key) => {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await object.Body?.transformToString('utf8')) ?? '';
      }),
    );
  return {
    put: (record) => put(auditKeys.record(record.tenant, record.seq), record.body),
    exists: (tenant, seq) => exists(auditKeys.record(tenant, seq)),
    list: (tenant) => bodies(auditKeys.recordPrefix(tenant)),
    async tenants() {
      const tenants: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: 'records/',
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          const tenant = common.Prefix?.slice('records/'.length, -1);
          if (tenant) tenants.push(tenant);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return tenants.sort();
    },
    putSignedHead: (head: SignedAuditHead) =>
      put(auditKeys.signedHead(head.tenant, head.seq), JSON.stringify(head)),
    signedHeadExists: (tenant, seq) => exists(auditKeys.signedHead(tenant, seq)),
    signedHeads: (tenant) => bodies(auditKeys.signedHeadPrefix(tenant)),
  };
}
