/**
 * `mediagate audit verify` checks every tenant's audit chain (functions/audit/verify.ts): the records as
 * stored, the signed heads with the signer's public key, and the live heads. Locally it reads the local
 * stack's state (s3rver and dynalite started just for it, under the stack lock); with `--aws` a
 * deployment's bucket and state table, and the KMS public key named in each signed head.
 * `mediagate audit sign` runs the signing schedule of the local stack once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoAuditHeadStore } from '../../functions/adapters/dynamodb-audit-head.js';
import { localSigningKey } from '../../functions/adapters/local-head-signer.js';
import { createS3AuditStore } from '../../functions/adapters/s3-audit-store.js';
import { type TrailVerdict, verifyTrail } from '../../functions/audit/verify.js';
import { startLocalDynamo } from '../../infra/local/dynamodb.js';
import { acquireLock } from '../../infra/local/lock.js';
import { LOCAL_CREDENTIALS, startLocalS3 } from '../../infra/local/s3.js';
import { DEFAULT_STATE_DIR } from '../../infra/local/stack.js';
import { bucketNames, functionEnvironment, LOCAL_REGION } from '../../infra/local/template.js';
import { synthesizeMediagate } from '../../infra/synth.js';

export interface AuditVerifyOptions {
  readonly tenant?: string;
  readonly json: boolean;
  /** A deployment: its audit bucket and state table (outputs AuditBucketName, StateTableName). */
  readonly aws?: { readonly bucket: string; readonly table: string };
}

export async function runAuditVerify(
  options: AuditVerifyOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const verdict = options.aws ? await verifyOnAws(options, options.aws) : await verifyLocally(options);
  out.write(options.json ? `${JSON.stringify(verdict)}\n` : renderVerdict(verdict));
  return verdict.ok ? 0 : 1;
}

export function renderVerdict(verdict: TrailVerdict): string {
  const lines = verdict.tenants.map(
    (chain) =>
      `${chain.tenant}: ${chain.records} records, ${chain.signedHeads} signed heads, ${
        chain.ok ? 'intact' : `BROKEN at ${chain.brokenAt}: ${chain.reason ?? ''}`
      }`,
  );
  if (lines.length === 0) lines.push('no audit records');
  lines.push(
    verdict.ok
      ? `ok: ${verdict.records} records verified`
      : `NOT OK: ${verdict.tenant} at ${verdict.brokenAt}`,
  );
  return `${lines.join('\n')}\n`;
}

async function verifyLocally(options: AuditVerifyOptions): Promise<TrailVerdict> {
  const stateDir = path.resolve(process.env.MEDIAGATE_STATE_DIR ?? DEFAULT_STATE_DIR);
  fs.mkdirSync(stateDir, { recursive: true });
  const release = acquireLock(path.join(stateDir, 'stack.lock'));
  try {
    const { template } = synthesizeMediagate();
    const { AUDIT_BUCKET: bucket, STATE_TABLE: table } = functionEnvironment(template);
    if (!bucket || !table) throw new Error('the template defines no AUDIT_BUCKET or STATE_TABLE');
    const s3Server = await startLocalS3({
      directory: path.join(stateDir, 's3'),
      buckets: bucketNames(template),
      onObjectCreated: () => {},
    });
    const dynamo = await startLocalDynamo({ path: path.join(stateDir, 'dynamodb') });
    const clientOptions = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const s3 = new S3Client({ ...clientOptions, endpoint: s3Server.endpoint, forcePathStyle: true });
    const dynamoClient = new DynamoDBClient({ ...clientOptions, endpoint: dynamo.endpoint });
    try {
      const keyFile = path.join(stateDir, 'audit-signing-key.pem');
      const localKey = fs.existsSync(keyFile) ? localSigningKey(keyFile) : undefined;
      return await verifyTrail({
        records: createS3AuditStore(s3, bucket),
        heads: createDynamoAuditHeadStore(dynamoClient, table),
        // Only the local key verifies locally: a head naming any other key fails.
        publicKey: async (keyId) =>
          localKey && keyId === localKey.keyId ? localKey.publicKeyDer : undefined,
        ...(options.tenant ? { tenant: options.tenant } : {}),
      });
    } finally {
      s3.destroy();
      dynamoClient.destroy();
      await dynamo.close();
      await s3Server.close();
    }
  } finally {
    release();
  }
}

async function verifyOnAws(
  options: AuditVerifyOptions,
  aws: NonNullable<AuditVerifyOptions['aws']>,
): Promise<TrailVerdict> {
  const [{ KMSClient }, { kmsPublicKey }] = await Promise.all([
    import('@aws-sdk/client-kms'),
    import('../../functions/adapters/kms-head-signer.js'),
  ]);
  const s3 = new S3Client({});
  const dynamo = new DynamoDBClient({});
  const kms = new KMSClient({});
  const keys = new Map<string, Promise<Buffer | undefined>>();
  try {
    return await verifyTrail({
      records: createS3AuditStore(s3, aws.bucket),
      heads: createDynamoAuditHeadStore(dynamo, aws.table),
      publicKey: (keyId) => {
        if (!keys.has(keyId))
          keys.set(
            keyId,
            kmsPublicKey(kms, keyId).catch(() => undefined),
          );
        return keys.get(keyId) as Promise<Buffer | undefined>;
      },
      ...(options.tenant ? { tenant: options.tenant } : {}),
    });
  } finally {
    s3.destroy();
    dynamo.destroy();
    kms.destroy();
  }
}

/** Runs the local stack's schedules once (the audit-head signing), then stops it. */
export async function runAuditSign(out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { startLocalStack } = await import('../../infra/local/stack.js');
  const stack = await startLocalStack();
  try {
    await stack.runSchedules();
    out.write('audit chain heads signed with the local key\n');
  } finally {
    await stack.stop();
  }
  return 0;
}
