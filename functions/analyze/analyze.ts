/**
 * `POST /v1/analyze`: one item through the Express workflow within the request. The media is stored
 * under `realtime/<tenant>/<id>` (no event rule watches it, so the asynchronous pipeline never sees it),
 * the workflow runs the same steps as the Standard one, and its document becomes the HTTP answer:
 *
 * | outcome                                        | status                                    |
 * | ---------------------------------------------- | ----------------------------------------- |
 * | processed                                      | 200, with the model's answer              |
 * | over the synchronous size limit                | 413, pointing to the presigned upload     |
 * | unsupported media type                         | 415                                       |
 * | budget refused                                 | 402                                       |
 * | rejected (DLP policy, limits, the model)       | 422 with the reason code                  |
 * | model unavailable now, transcription pending   | 503 with Retry-After                      |
 * | rate limit spent, open reservations fill cap   | 429 with Retry-After (when it frees up)   |
 * | any other failure                              | 502                                       |
 */
import { randomUUID } from 'node:crypto';
import { ADMISSION_DEFERRALS, type PipelineState, UNAVAILABLE_NOW_REASONS } from '../pipeline/document.js';
import { executionInputFor, REALTIME_PREFIX, TENANT_ID } from '../pipeline/execution-input.js';
import { type OutcomeSummary, summarizeOutcome } from '../pipeline/outcome-summary.js';
import { retryAfterMsOf } from '../pipeline/reasons.js';
import type { BlobStore, SyncWorkflow } from '../ports.js';
import type { CallerTenant } from '../tenants/identity.js';

export interface AnalyzeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  /** Who signed the request (the function URL's IAM auth); absent when unsigned (locally). */
  readonly callerArn?: string;
}

export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface AnalyzeDeps {
  readonly blobs: BlobStore;
  readonly workflow: SyncWorkflow;
  readonly buckets: { readonly ingest: string; readonly results: string };
  /** Largest body taken synchronously: Lambda's 6 MB invocation payload. */
  readonly maxBodyBytes: number;
  /** Where larger files go: the presigned-upload endpoint. */
  readonly presignUrl: string;
  /** Seconds a client should wait before trying again when the model is unavailable now. */
  readonly retryAfterSeconds: number;
  /** The caller's tenant from its principal and the registry (functions/tenants/identity.ts). */
  readonly callerTenant: (caller: { arn?: string; requestedTenant?: string }) => Promise<CallerTenant>;
  readonly now?: () => Date;
}

/** The answer body: the `run --json` fields, the model's answer, and the outcome document's id. */
export interface AnalyzeAnswer extends OutcomeSummary {
  readonly executionId: string;
  readonly answer?: string;
}

const RETRY_LATER_REASONS = new Set<string>([...Object.values(UNAVAILABLE_NOW_REASONS), 'MODEL_OUTAGE']);
const TOO_LARGE_REASONS = new Set(['TOO_LARGE']);
const TOO_MANY_REASONS = new Set<string>(Object.values(ADMISSION_DEFERRALS));

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export async function analyze(deps: AnalyzeDeps, request: AnalyzeRequest): Promise<HttpAnswer> {
  const path = request.path.replace(/\/$/, '');
  if (request.method === 'GET' && path === '/healthz') return json(200, { status: 'ok' });
  if (request.method !== 'POST' || path !== '/v1/analyze') {
    return json(404, {
      error: 'POST /v1/analyze?tenant=T&task=K with the file as the body, or GET /healthz',
    });
  }
  const requested = request.query.get('tenant') ?? undefined;
  if (requested !== undefined && !TENANT_ID.test(requested))
    return json(400, { error: 'tenant must match [a-z0-9][a-z0-9-]{0,62}' });
  const caller = await deps.callerTenant({
    ...(request.callerArn ? { arn: request.callerArn } : {}),
    ...(requested !== undefined ? { requestedTenant: requested } : {}),
  });
  if (!caller.ok) return json(caller.status, { error: caller.message, reason: caller.reason });
  const { tenant } = caller;
  const contentType = request.headers['content-type']?.split(';')[0]?.trim() ?? '';
  if (request.body.length === 0) return json(400, { error: 'the body must be the file to analyze' });
  if (request.body.length > deps.maxBodyBytes) {
    return json(413, {
      error: `the body is over ${deps.maxBodyBytes} bytes, the most a synchronous request carries`,
      reason: 'TOO_LARGE',
      presign: { method: 'POST', url: deps.presignUrl, body: { tenant, contentType } },
    });
  }
  const task = request.query.get('task') ?? undefined;
  const instructions = request.query.get('instructions') ?? request.headers['x-mediagate-instructions'];

  const key = `${REALTIME_PREFIX}${tenant}/${randomUUID()}`;
  await deps.blobs.put(deps.buckets.ingest, key, request.body, {
    contentType,
    metadata: {
      ...(task ? { task } : {}),
      // As the presigned POST does: S3 metadata is ASCII, free text travels URI-encoded.
      ...(instructions ? { instructions: encodeURIComponent(instructions) } : {}),
    },
  });
  const input = executionInputFor(
    {
      bucket: deps.buckets.ingest,
      key,
      sizeBytes: request.body.length,
      time: (deps.now?.() ?? new Date()).toISOString(),
    },
    REALTIME_PREFIX,
  );
  if (!input) throw new Error(`not a realtime key: ${key}`);
  const result = await deps.workflow.run(input.executionId, { ...input, status: 'in_progress', steps: [] });
  if (result.status !== 'SUCCEEDED' || !result.output) {
    return json(result.status === 'TIMED_OUT' ? 504 : 502, {
      executionId: input.executionId,
      error: `the workflow ended ${result.status}${result.error ? ` (${result.error})` : ''}`,
    });
  }
  const document = result.output as PipelineState;
  const summary: AnalyzeAnswer = { executionId: input.executionId, ...summarizeOutcome(key, document) };
  return answerFor(deps, document, summary);
}

async function answerFor(
  deps: AnalyzeDeps,
  document: PipelineState,
  summary: AnalyzeAnswer,
): Promise<HttpAnswer> {
  switch (summary.status) {
    case 'processed': {
      const resultKey = document.model?.resultKey;
      const stored = resultKey ? await deps.blobs.get(deps.buckets.results, resultKey) : undefined;
      const answer = stored
        ? (JSON.parse(stored.body.toString('utf8')) as { answer?: string }).answer
        : undefined;
      return json(200, { ...summary, ...(answer !== undefined ? { answer } : {}) });
    }
    case 'budget_exceeded':
      return json(402, summary);
    case 'rejected':
      if (summary.reason === 'UNSUPPORTED_TYPE') return json(415, summary);
      if (summary.reason && TOO_LARGE_REASONS.has(summary.reason)) return json(413, summary);
      return json(422, summary);
    case 'failed':
      if (summary.reason && TOO_MANY_REASONS.has(summary.reason)) {
        // The bucket says when the next token is there; a second at least, as the header counts seconds.
        const waitMs = retryAfterMsOf(document.failure?.Cause) ?? deps.retryAfterSeconds * 1000;
        return json(429, summary, { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) });
      }
      if (summary.reason && RETRY_LATER_REASONS.has(summary.reason)) {
        return json(503, summary, { 'retry-after': String(deps.retryAfterSeconds) });
      }
      return json(502, summary);
  }
}
