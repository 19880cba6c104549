import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig } from '../config/settings.js';
import { createTenantDirectoryFor } from '../config/tenancy.js';
import { logger } from '../pipeline/step.js';
import { callerTenant, signerArnOf } from '../tenants/identity.js';
import { parsePresignRequest, presignUpload } from './presign.js';

const config = loadConfig();
const client = s3Client(config);
const tenants = createTenantDirectoryFor(config, dynamoClient(config));

/**
 * POST {tenant?, contentType, task?, instructions?} → a presigned POST for one upload. Behind IAM auth:
 * the tenant is the one the caller's principal is bound to; a body naming another is refused with 403.
 */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  let body: unknown;
  try {
    const raw =
      event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    body = JSON.parse(raw ?? '');
  } catch {
    return respond(400, { error: 'body must be JSON' });
  }
  const requested = (body as { tenant?: unknown } | null)?.tenant;
  const caller = await callerTenant(
    { tenants, binding: config.tenantBinding },
    {
      arn: signerArnOf(event.requestContext),
      ...(typeof requested === 'string' ? { requestedTenant: requested } : {}),
    },
  );
  if (!caller.ok) return respond(caller.status, { error: caller.message, reason: caller.reason });
  // The registry's policy decides which declared types (PDF, HEIC) the upload may have, as ValidateAndStrip does.
  const request = parsePresignRequest(body, caller.tenant, caller.dlpPolicy);
  if (typeof request === 'string') return respond(400, { error: request });
  const upload = await presignUpload(
    {
      client,
      bucket: config.buckets.ingest,
      maxBytes: config.maxUploadBytes,
      expirySeconds: config.presignExpirySeconds,
    },
    request,
  );
  // The execution id is known only once the upload lands (start-execution logs it); the key names the upload.
  logger.info('upload presigned', { tenant: request.tenant, key: upload.key });
  return respond(200, upload);
};

function respond(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
