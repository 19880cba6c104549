/**
 * Adapter choice: the one place that decides which adapter backs each port. The AWS adapters are imported
 * lazily so a process loads only the ones it chose. Local-only adapters (the offline recognizers with
 * `compromise` and libphonenumber, tesseract.js) sit behind `typeof MEDIAGATE_LAMBDA_BUNDLE`, which every
 * Lambda bundle defines (infra/bundling.ts): esbuild drops those branches, so deployed code never contains
 * them, while tsx and vitest (where it is undefined) run them as before.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditTrail } from '../audit/chain.js';
import type { HeadSigner, Ocr, PiiDetector, Transcriber } from '../ports.js';
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
  const [{ createComprehendPiiDetector }, { comprehendClient }] = await Promise.all([
    import('../adapters/comprehend-pii-detector.js'),
    import('./clients/comprehend.js'),
  ]);
  return createComprehendPiiDetector(comprehendClient(config));
}

export async function createOcr(config: RuntimeConfig): Promise<Ocr | undefined> {
  const chosen = await chooseOcr(config);
  if (!chosen) return undefined;
  // Images smooth everywhere hold no text: they skip the real OCR (and, in AWS, its bill).
  const { ocrWhereTextMayBe } = await import('../dlp/text-gate.js');
  return ocrWhereTextMayBe(chosen);
}

async function chooseOcr(config: RuntimeConfig): Promise<Ocr | undefined> {
  if (config.ocr === 'none') return undefined;
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
  return createTextractOcr(textractClient(config));
}

/** Amazon Transcribe in AWS; offline none, and audio DLP follows the tenant's policy for unscanned audio. */
export async function createTranscriber(config: RuntimeConfig): Promise<Transcriber | undefined> {
  if (config.transcriber === 'none') return undefined;
  const [{ createTranscribeTranscriber }, { createS3BlobStore }, { s3Client }, { transcribeClient }] =
    await Promise.all([
      import('../adapters/transcribe-transcriber.js'),
      import('../adapters/s3-blob-store.js'),
      import('./clients/s3.js'),
      import('./clients/transcribe.js'),
    ]);
  return createTranscribeTranscriber(transcribeClient(config), {
    blobs: createS3BlobStore(s3Client(config)),
    outputKmsKeyId: config.transcriptKmsKeyId,
  });
}

/**
 * The audit trail of a step: chain heads on the state table, records in the audit bucket. Takes the
 * handler's own clients, so a step opens no extra connections for it.
 */
export async function createStepAuditTrail(
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
