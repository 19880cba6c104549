/** What integration tests do to the local stack the way an app or finance would: upload, read the ledger. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AttributeValue, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/s3.js';
import type { LocalStack } from '../../infra/local/stack.js';

export interface UploadRequest {
  readonly tenant?: string;
  readonly task?: string;
  readonly instructions?: string;
}

/** Uploads through the presign endpoint exactly as an app does: JSON request, then a multipart POST. */
export async function upload(
  stack: LocalStack,
  bytes: Buffer,
  contentType: string,
  request: UploadRequest = {},
): Promise<string> {
  const presign = await fetch(stack.endpoints.presign, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: 'acme', ...request, contentType }),
  });
  expect(presign.status).toBe(200);
  const { url, fields, key } = (await presign.json()) as {
    url: string;
    fields: Record<string, string>;
    key: string;
  };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }));
  const response = await fetch(url, { method: 'POST', body: form });
  expect(response.status).toBeLessThan(300);
  return key;
}

export function localDynamo(stack: LocalStack): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.endpoints.dynamodb,
    credentials: LOCAL_CREDENTIALS,
  });
}

/** The tenant's ledger items, as finance would query them. */
export async function ledgerItems(
  stack: LocalStack,
  tenant: string,
): Promise<Record<string, AttributeValue>[]> {
  const client = localDynamo(stack);
  try {
    const response = await client.send(
      new QueryCommand({
        TableName: stack.environment.LEDGER_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenant}` } },
      }),
    );
    return (response.Items ?? []).filter((item) => item.sk?.S?.startsWith('LEDGER#'));
  } finally {
    client.destroy();
  }
}

/** Every event the local bus recorded (outcomes, breaker transitions, budget crossings). */
export function busEvents(stack: LocalStack): { detailType: string; detail: Record<string, unknown> }[] {
  const file = path.join(stack.stateDir, 'events.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { detailType: string; detail: Record<string, unknown> });
}
