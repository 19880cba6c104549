/**
 * Speech to text with an Amazon Transcribe batch job. Transcribe reads the processed audio straight from
 * our S3 bucket and writes the transcript JSON into our own bucket, encrypted with our KMS key, so the
 * media and its transcript never leave the account. The job name is deterministic per execution: a
 * retried step that finds the name taken (ConflictException) polls the job the first attempt started
 * instead of paying for a second one.
 *
 * One call waits a short, bounded time. A job still running then throws `TranscriptionPending`: the state
 * machine waits without a Lambda running (its own Retry, up to about 17 minutes) and calls the step again,
 * which resumes on the same job.
 */
import type {
  LanguageCode,
  MediaFormat,
  TranscribeClient,
  TranscriptionJob,
} from '@aws-sdk/client-transcribe';
import * as z from 'zod/mini';
import { PermanentStepError, TranscriptionPendingError } from '../pipeline/reasons.js';
import type { BlobStore, Transcriber, TranscriptionRequest } from '../ports.js';

/** Loaded on the first audio item: a function that sees none never loads Transcribe's SDK. */
const transcribeSdk = () => import('@aws-sdk/client-transcribe');

/** Processed audio is WAV or MP3; the others are here so the adapter does not depend on that choice. */
const MEDIA_FORMATS: Readonly<Record<string, MediaFormat>> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/flac': 'flac',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/amr': 'amr',
};

/** Locales tried for `auto`: the languages Comprehend's PII detection reads. */
const IDENTIFY_AMONG: readonly LanguageCode[] = ['en-US', 'es-US'];

export interface TranscribeTranscriberOptions {
  /** Reads the transcript JSON the job wrote. */
  readonly blobs: BlobStore;
  /** KMS key (id or ARN) the transcript is encrypted with. @default - SSE-S3, which Transcribe uses when no key is given */
  readonly outputKmsKeyId?: string;
  /** Encryption context of the transcript (with `outputKmsKeyId`), e.g. the item's tenant. */
  readonly outputEncryptionContext?: Readonly<Record<string, string>>;
  /** Longest one call waits for the job before it asks the state machine to wait and retry. @default 20_000 */
  readonly maxWaitMs?: number;
  /** First pause between polls; it grows by half each time up to `maxPollIntervalMs`. @default 1000 */
  readonly pollIntervalMs?: number;
  /** @default 5000 */
  readonly maxPollIntervalMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The parts of Transcribe's output JSON we read. */
const transcriptFile = z.object({
  results: z.object({
    transcripts: z.array(z.object({ transcript: z.string() })),
    items: z.optional(z.array(z.object({ end_time: z.optional(z.string()) }))),
    language_code: z.optional(z.string()),
  }),
});

/** Text, the end of the last word in seconds, and the language of a transcript file. */
export function parseTranscriptFile(raw: string): {
  text: string;
  lastWordEnd: number;
  languageCode?: string;
} {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('the Amazon Transcribe output is not JSON');
  }
  const parsed = transcriptFile.safeParse(json);
  if (!parsed.success) throw new Error('the Amazon Transcribe output has no results.transcripts');
  const { transcripts, items, language_code } = parsed.data.results;
  const lastWordEnd = Math.max(0, ...(items ?? []).map((item) => Number(item.end_time ?? 0) || 0));
  return {
    text: transcripts.map((t) => t.transcript).join('\n'),
    lastWordEnd,
    ...(language_code ? { languageCode: language_code } : {}),
  };
}

function languageSettings(
  requested: string | undefined,
): { LanguageCode: LanguageCode } | { IdentifyLanguage: true; LanguageOptions: LanguageCode[] } {
  const code = requested ?? 'en';
  if (code === 'auto') return { IdentifyLanguage: true, LanguageOptions: [...IDENTIFY_AMONG] };
  if (code === 'en') return { LanguageCode: 'en-US' };
  if (code === 'es') return { LanguageCode: 'es-US' };
  return { LanguageCode: code as LanguageCode };
}

export function createTranscribeTranscriber(
  client: TranscribeClient,
  options: TranscribeTranscriberOptions,
): Transcriber {
  const maxWaitMs = options.maxWaitMs ?? 20_000;
  const firstInterval = options.pollIntervalMs ?? 1000;
  const maxInterval = options.maxPollIntervalMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const start = async (request: TranscriptionRequest): Promise<void> => {
    const mediaFormat = MEDIA_FORMATS[request.mime];
    if (!mediaFormat)
      throw new PermanentStepError('TRANSCRIPTION_FAILED', `Amazon Transcribe cannot read ${request.mime}`);
    const { StartTranscriptionJobCommand } = await transcribeSdk();
    try {
      await client.send(
        new StartTranscriptionJobCommand({
          TranscriptionJobName: request.jobName,
          Media: { MediaFileUri: `s3://${request.audio.bucket}/${request.audio.key}` },
          MediaFormat: mediaFormat,
          ...languageSettings(request.languageCode),
          OutputBucketName: request.output.bucket,
          OutputKey: request.output.key,
          ...(options.outputKmsKeyId ? { OutputEncryptionKMSKeyId: options.outputKmsKeyId } : {}),
          ...(options.outputKmsKeyId && options.outputEncryptionContext
            ? { KMSEncryptionContext: { ...options.outputEncryptionContext } }
            : {}),
        }),
      );
    } catch (error) {
      // The name is taken: an earlier attempt of this step started the job. Wait for that one.
      if ((error as Error).name !== 'ConflictException') throw error;
    }
  };

  /** Polls until the job ends or the wait is spent; time is counted from the pauses, not the clock. */
  const finished = async (jobName: string): Promise<TranscriptionJob> => {
    let waited = 0;
    let interval = firstInterval;
    const { GetTranscriptionJobCommand } = await transcribeSdk();
    for (;;) {
      const out = await client.send(new GetTranscriptionJobCommand({ TranscriptionJobName: jobName }));
      const job = out.TranscriptionJob;
      const status = job?.TranscriptionJobStatus;
      if (job && status === 'COMPLETED') return job;
      if (status === 'FAILED') {
        throw new PermanentStepError(
          'TRANSCRIPTION_FAILED',
          `Amazon Transcribe job ${jobName} failed: ${job?.FailureReason ?? 'no reason given'}`,
        );
      }
      if (waited + interval > maxWaitMs) {
        throw new TranscriptionPendingError(
          `Amazon Transcribe job ${jobName} is still ${status ?? 'unknown'} after ${waited} ms; retry to keep waiting`,
        );
      }
      await sleep(interval);
      waited += interval;
      interval = Math.min(Math.round(interval * 1.5), maxInterval);
    }
  };

  return {
    name: 'amazon-transcribe',
    async transcribe(request) {
      await start(request);
      const job = await finished(request.jobName);
      const file = await options.blobs.get(request.output.bucket, request.output.key);
      const transcript = parseTranscriptFile(file.body.toString('utf8'));
      // Transcribe bills the length of the audio; Preprocess measured it. The last word's end is a floor.
      const seconds = request.durationSec ?? transcript.lastWordEnd;
      request.meter?.record({ service: 'transcribe', quantity: seconds, requestId: request.jobName });
      const languageCode = job.LanguageCode ?? transcript.languageCode;
      return { text: transcript.text, seconds, ...(languageCode ? { languageCode } : {}) };
    },
  };
}
