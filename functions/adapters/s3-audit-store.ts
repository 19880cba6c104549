/**
 * AuditRecordStore on the audit bucket: `records/<tenant>/<seq, 12 digits>.json` and
 * `heads/<tenant>/<seq>.json`. In AWS the bucket has Object Lock with a default retention (governance or
 * compliance mode), so a stored version cannot be overwritten or deleted before it expires; the local
 * stand-in (s3rver) does not enforce Object Lock (docs/audit.md). Listing returns bodies as stored:
 * judging them is the verifier's job.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { auditKeys } from '../audit/record.js';
import type { AuditRecordStore, SignedAuditHead } from '../ports.js';

export function createS3AuditStore(client: S3Client, bucket: string): AuditRecordStore {
  // A listing, not HeadObject: S3 answers a HEAD on a missing key with 403 unless the caller may list the
  // whole bucket, while a listing is granted on the prefix alone (infra/constructs/audit-trail.ts).
  const exists = async (key: string) => {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    return page.Contents?.[0]?.Key === key;
  };
  const put = async (key: string, body: string) => {
    // Object Lock refuses a PUT without an integrity checksum; name one rather than rely on SDK defaults.
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ChecksumAlgorithm: 'SHA256',
      }),
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
      // Tenants with records, and with signed heads: a chain whose every record was deleted still has those.
      const tenants = new Set<string>();
      for (const root of ['records/', 'heads/']) {
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: root,
              Delimiter: '/',
              ContinuationToken: token,
            }),
          );
          for (const common of page.CommonPrefixes ?? []) {
            const tenant = common.Prefix?.slice(root.length, -1);
            if (tenant) tenants.add(tenant);
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      }
      return [...tenants].sort();
    },
    putSignedHead: (head: SignedAuditHead) =>
      put(auditKeys.signedHead(head.tenant, head.seq), JSON.stringify(head)),
    signedHeadExists: (tenant, seq) => exists(auditKeys.signedHead(tenant, seq)),
    signedHeads: (tenant) => bodies(auditKeys.signedHeadPrefix(tenant)),
  };
}
