/**
 * The real local servers the audit tests run on: dynalite behind the transaction front (with the state
 * table) and s3rver (with one audit bucket), and the audit stores on them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoAuditHeadStore } from '../../functions/adapters/dynamodb-audit-head.js';
import { createS3AuditStore } from '../../functions/adapters/s3-audit-store.js';
import type { AuditHeadStore, AuditRecordStore } from '../../functions/ports.js';
import { createStateTable, startLocalDynamo } from '../../infra/local/dynamodb.js';
import { LOCAL_CREDENTIALS, startLocalS3 } from '../../infra/local/s3.js';

export interface AuditServers {
  /** A scratch directory of the test's own (s3rver keeps its objects below it). */
  readonly dir: string;
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly heads: AuditHeadStore;
  readonly records: AuditRecordStore;
  close(): Promise<void>;
}

export async function startAuditServers(bucket: string): Promise<AuditServers> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-audit-'));
  const dynamoServer = await startLocalDynamo();
  const dynamo = dynamoServer.client();
  await createStateTable(dynamo, 'state');
  const s3Server = await startLocalS3({ directory: dir, buckets: [bucket], onObjectCreated: () => {} });
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3Server.endpoint,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    dir,
    dynamo,
    s3,
    heads: createDynamoAuditHeadStore(dynamo, 'state'),
    records: createS3AuditStore(s3, bucket),
    async close() {
      s3.destroy();
      await s3Server.close();
      await dynamoServer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
