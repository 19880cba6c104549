/**
 * SDK clients, one factory a file, so handlers build them once at module scope and tests can swap them.
 * One file per service because the SDK is not bundled (infra/bundling.ts): every SDK package a bundled
 * module imports is loaded at cold start, used or not, so a handler imports only the clients it uses.
 * Endpoints come from config: set on the local stack, absent (SDK defaults) in Lambda.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { perTenant } from '../per-tenant.js';
import type { RuntimeConfig } from '../settings.js';
import { type CredentialsProvider, tenantCredentials } from './sts.js';

/** `credentials`: a tenant session's; undefined for the process's own (the SDK's default chain). */
export function s3Client(config: RuntimeConfig, credentials?: CredentialsProvider): S3Client {
  return new S3Client({
    region: config.region,
    ...(credentials ? { credentials } : {}),
    endpoint: config.endpoints.s3,
    // Loopback S3 stand-ins have no virtual-host DNS.
    forcePathStyle: config.endpoints.s3 !== undefined,
  });
}

/** One S3 client per tenant, in that tenant's session where the stack set one up (functions/config/clients/sts.ts). */
export function tenantS3Clients(config: RuntimeConfig): (tenant: string) => S3Client {
  const credentialsFor = tenantCredentials(config);
  return perTenant((tenant) => s3Client(config, credentialsFor(tenant)));
}
