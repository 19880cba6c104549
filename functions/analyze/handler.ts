import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { createSfnSyncWorkflow } from '../adapters/sfn-sync-workflow.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { s3Client } from '../config/clients/s3.js';
import { sfnClient } from '../config/clients/sfn.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenantDirectoryFor } from '../config/tenancy.js';
import { callerTenant, signerArnOf } from '../tenants/identity.js';
import { analyze } from './analyze.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'results', 'expressStateMachineArn', 'state']);
const tenants = createTenantDirectoryFor(config, dynamoClient(config));
const deps = {
  blobs: createS3BlobStore(s3Client(config)),
  workflow: createSfnSyncWorkflow(sfnClient(config), config.expressStateMachineArn),
  buckets: config.buckets,
  maxBodyBytes: config.maxSyncBodyBytes,
  presignUrl: config.presignUrl,
  // The breaker's first cool-down: by then a half-open probe may have found the model back.
  retryAfterSeconds: 30,
  callerTenant: (caller: { arn?: string; requestedTenant?: string }) =>
    callerTenant({ tenants, binding: config.tenantBinding }, caller),
};

/** POST /v1/analyze behind IAM auth: the file in, the outcome document and the model's answer out. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const callerArn = signerArnOf(event.requestContext);
  return analyze(deps, {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers: event.headers ?? {},
    body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
    ...(callerArn ? { callerArn } : {}),
  });
};
