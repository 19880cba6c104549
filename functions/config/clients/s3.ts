/**
 * SDK clients, one factory a file, so handlers build them once at module scope and tests can swap them.
 * One file per service because the SDK is not bundled (infra/bundling.ts): every SDK package a bundled
 * module imports is loaded at cold start, used or not, so a handler imports only the clients it uses.
 * Endpoints come from config: set on the local stack, absent (SDK defaults) in Lambda.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { RuntimeConfig } from '../settings.js';

export function s3Client(config: RuntimeConfig): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoints.s3,
    // Loopback S3 stand-ins have no virtual-host DNS.
    forcePathStyle: config.endpoints.s3 !== undefined,
  });
}
