/**
 * Adapter choice: the one place that decides which adapter backs each port. The AWS adapters are imported
 * lazily so a process loads only the ones it chose. Local-only adapters (the offline recognizers with
 * `compromise` and libphonenumber, tesseract.js) sit behind `typeof MEDIAGATE_LAMBDA_BUNDLE`, which every
 * Lambda bundle defines (infra/bundling.ts): esbuild drops those branches, so deployed code never contains
 * them, while tsx and vitest (where it is undefined) run them as before.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { COMPREHEND_DETECTOR_NAME } from '../adapters/comprehend-pii-detector.js';
import type { ObjectEncryption } from '../adapters/s3-blob-store.js';
import type { AuditTrail } from '../audit/chain.js';
import type { DecisionLog } from '../audit/queue.js';
import type { BlobStore, HeadSigner, Ocr, PiiDetector, Transcriber } from '../ports.js';
import { onFirstUse } from './on-first-use.js';
import { perTenant } from './per-tenant.js';
import type { RuntimeConfig } from './settings.js';

declare const MEDIAGATE_LAMBDA_BUNDLE: boolean | undefined;

function notInLambda(what: string): Error {
  return new Error(`${what} is local-only and not part of Lambda bundles`);
}

export async function createPiiDetector(config: RuntimeConfig): Promise<PiiDetector> {
  if (config.piiDetector === 'local') {
    // The condition must stay inline for esbuild to drop the import with the branch.
    if (typeof MEDIAGATE_LAMBDA_BUNDLE === 'undefined') {
      const { createLocalPiiDetector } = await import('../adapters/local-pii-detector.js');
      return createLocalPiiDetector();
    }
    throw notInLambda('MEDIAGATE_PII_DETECTOR=local');
  }
  // Built on the first text to scan: an item with none (most photos) never loads Comprehend's SDK.
  const comprehend = onFirstUse(async () => {
    const [{ createComprehendPiiDetector }, { comprehendClient }] = await Promise.all([
      import('../adapters/comprehend-pii-detector.js'),
      import('./clients/comprehend.js'),
    ]);
    return createComprehendPiiDetector(await comprehendClient(config));
  });
  return {
    name: COMPREHEND_DETECTOR_NAME,
    detect: async (text, options) => (await comprehend()).detect(text, options),
  };
}

const OCR_NAMES = { textract: 'textract', tesseract: 'tesseract.js' } as const;

export async function createOcr(config: RuntimeConfig): Promise<Ocr | undefined> {
  if (config.ocr === 'none') return undefined;
  const chosen = onFirstUse(() => chooseOcr(config));
  const ocr: Ocr = {
    name: OCR_NAMES[config.ocr],
    recognize: async (image, options) => (await chosen()).recognize(image, options),
  };
  // Images smooth everywhere hold no text: they skip the real OCR (and, in AWS, its bill and its client).
  const { ocrWhereTextMayBe } = await import('../dlp/text-gate.js');
  return ocrWhereTextMayBe(ocr);
}

async function chooseOcr(config: RuntimeConfig): Promise<Ocr> {
  if (config.ocr === 'tesseract') {
    if (typeof MEDIAGATE_LAMBDA_BUNDLE === 'undefined') {
      const { createTesseractOcr } = await import('../adapters/tesseract-ocr.js');
      return createTesseractOcr();
    }
    throw notInLambda('MEDIAGATE_OCR=tesseract');
  }
  const [{ createTextractOcr }, { textractClient }] = await Promise.all([
    import('../adapters/textract-ocr.js'),
    import('./clients/textract.js'),
  ]);
  return createTextractOcr(await textractClient(config));
}

/** The encryption context every object written for a tenant carries; the tenant roles require it. */
export function tenantEncryptionContext(tenant: string): Readonly<Record<string, string>> {
  return { tenant };
}

/** SSE-KMS under the data key with the tenant's context, where the stack configured a key (AWS). */
export function objectEncryption(config: RuntimeConfig, tenant: string): ObjectEncryption | undefined {
  return config.dataKeyArn
    ? { kmsKeyId: config.dataKeyArn, context: tenantEncryptionContext(tenant) }
    : undefined;
}

/**
 * The item's tenant's object store: S3 in the tenant's session (AWS) or with the process's credentials
 * (local stack), objects written under the tenant's encryption context. One per tenant, bounded.
 */
export async function createTenantBlobStores(config: RuntimeConfig): Promise<(tenant: string) => BlobStore> {
  const [{ createS3BlobStore }, { tenantS3Clients }] = await Promise.all([
    import('../adapters/s3-blob-store.js'),
    import('./clients/s3.js'),
  ]);
  const clientFor = tenantS3Clients(config);
  return perTenant((tenant) => createS3BlobStore(clientFor(tenant), objectEncryption(config, tenant)));
}

/**
 * Amazon Transcribe in AWS, started in the item's tenant's session (it reads the media and writes the
 * transcript with the caller's rights, so the job reaches only that tenant's prefixes), its SDK loaded
 * on the first audio item; offline none, and audio DLP follows the tenant's policy for unscanned audio.
 */
export async function createTenantTranscribers(
  config: RuntimeConfig,
): Promise<(tenant: string) => Transcriber | undefined> {
  if (config.transcriber === 'none') return () => undefined;
  const chosen = onFirstUse(() => amazonTranscribePerTenant(config));
  return perTenant((tenant) => ({
    name: 'amazon-transcribe',
    transcribe: async (request) => (await chosen())(tenant).transcribe(request),
  }));
}

async function amazonTranscribePerTenant(config: RuntimeConfig): Promise<(tenant: string) => Transcriber> {
  const [{ createTranscribeTranscriber }, transcribeClient, { tenantCredentials }, blobsFor] =
    await Promise.all([
      import('../adapters/transcribe-transcriber.js'),
      import('./clients/transcribe.js').then(({ transcribeClients }) => transcribeClients(config)),
      import('./clients/sts.js'),
      createTenantBlobStores(config),
    ]);
  const credentialsFor = tenantCredentials(config);
  return perTenant((tenant) =>
    createTranscribeTranscriber(transcribeClient(credentialsFor(tenant)), {
      blobs: blobsFor(tenant),
      outputKmsKeyId: config.transcriptKmsKeyId,
      outputEncryptionContext: tenantEncryptionContext(tenant),
    }),
  );
}

/**
 * Where a step records its decision: the audit queue on the state table, one write (functions/audit/queue.ts).
 * Takes the handler's own DynamoDB client, so a step opens no extra connection for it.
 */
export async function createStepDecisionLog(
  config: RuntimeConfig,
  clients: { readonly dynamo: DynamoDBClient },
): Promise<DecisionLog> {
  const [{ createQueuedDecisionLog }, { createDynamoAuditQueue }] = await Promise.all([
    import('../audit/queue.js'),
    import('../adapters/dynamodb-audit-queue.js'),
  ]);
  return createQueuedDecisionLog(createDynamoAuditQueue(clients.dynamo, config.tables.state));
}

/** The chain itself: heads on the state table, records in the audit bucket (the chainer and the signer). */
export async function createAuditChain(
  config: RuntimeConfig,
  clients: { readonly dynamo: DynamoDBClient; readonly s3: S3Client },
): Promise<AuditTrail> {
  const [{ createAuditTrail }, { createDynamoAuditHeadStore }, { createS3AuditStore }] = await Promise.all([
    import('../audit/chain.js'),
    import('../adapters/dynamodb-audit-head.js'),
    import('../adapters/s3-audit-store.js'),
  ]);
  return createAuditTrail({
    heads: createDynamoAuditHeadStore(clients.dynamo, config.tables.state),
    records: createS3AuditStore(clients.s3, config.buckets.audit),
  });
}

/** KMS in AWS (AUDIT_SIGNING_KEY_ID); the local key file on the local stack (node:crypto). */
export async function createHeadSigner(config: RuntimeConfig): Promise<HeadSigner> {
  const signer = config.auditSigner;
  if (signer.kind === 'local') {
    if (typeof MEDIAGATE_LAMBDA_BUNDLE === 'undefined') {
      const { createLocalHeadSigner } = await import('../adapters/local-head-signer.js');
      return createLocalHeadSigner(signer.keyFile);
    }
    throw notInLambda('MEDIAGATE_AUDIT_LOCAL_KEY_FILE');
  }
  if (signer.kind === 'none') {
    throw new Error('no audit signing key: set AUDIT_SIGNING_KEY_ID or MEDIAGATE_AUDIT_LOCAL_KEY_FILE');
  }
  const [{ createKmsHeadSigner }, { kmsClient }] = await Promise.all([
    import('../adapters/kms-head-signer.js'),
    import('./clients/kms.js'),
  ]);
  return createKmsHeadSigner(kmsClient(config), signer.keyId);
}
