/**
 * Adapter choice: the one place that decides which adapter backs each port. Local-only adapters are
 * imported lazily so Lambda bundles never load them.
 */
import type { Ocr, PiiDetector, Transcriber } from '../ports.js';
import type { RuntimeConfig } from './settings.js';

export async function createPiiDetector(config: RuntimeConfig): Promise<PiiDetector> {
  if (config.piiDetector === 'local') {
    const { createLocalPiiDetector } = await import('../adapters/local-pii-detector.js');
    return createLocalPiiDetector();
  }
  const [{ createComprehendPiiDetector }, { comprehendClient }] = await Promise.all([
    import('../adapters/comprehend-pii-detector.js'),
    import('./clients.js'),
  ]);
  return createComprehendPiiDetector(comprehendClient(config));
}

export async function createOcr(config: RuntimeConfig): Promise<Ocr | undefined> {
  if (config.ocr === 'none') return undefined;
  if (config.ocr === 'tesseract') {
    const { createTesseractOcr } = await import('../adapters/tesseract-ocr.js');
    return createTesseractOcr();
  }
  const [{ createTextractOcr }, { textractClient }] = await Promise.all([
    import('../adapters/textract-ocr.js'),
    import('./clients.js'),
  ]);
  return createTextractOcr(textractClient(config));
}

/** Amazon Transcribe in AWS; offline none, and audio DLP follows the tenant's policy for unscanned audio. */
export async function createTranscriber(config: RuntimeConfig): Promise<Transcriber | undefined> {
  if (config.transcriber === 'none') return undefined;
  const [{ createTranscribeTranscriber }, { createS3BlobStore }, { s3Client, transcribeClient }] =
    await Promise.all([
      import('../adapters/transcribe-transcriber.js'),
      import('../adapters/s3-blob-store.js'),
      import('./clients.js'),
    ]);
  return createTranscribeTranscriber(transcribeClient(config), {
    blobs: createS3BlobStore(s3Client(config)),
    outputKmsKeyId: config.transcriptKmsKeyId,
  });
}

/** The OpenAI key: from the environment when set, else from Secrets Manager (AWS deployments). */
export async function resolveOpenAiApiKey(config: RuntimeConfig): Promise<string> {
  if (config.openai.apiKey) return config.openai.apiKey;
  if (config.openai.apiKeySecretArn) {
    const [{ GetSecretValueCommand }, { secretsClient }] = await Promise.all([
      import('@aws-sdk/client-secrets-manager'),
      import('./clients.js'),
    ]);
    const secret = await secretsClient(config).send(
      new GetSecretValueCommand({ SecretId: config.openai.apiKeySecretArn }),
    );
    if (!secret.SecretString) throw new Error('the OpenAI API key secret is empty');
    return secret.SecretString.trim();
  }
  throw new Error('no OpenAI API key: set OPENAI_API_KEY or OPENAI_API_KEY_SECRET_ARN');
}
