/**
 * A local, OpenAI-compatible endpoint that the real `openai` SDK talks to over loopback. Answers are
 * deterministic and say they are simulated; `usage` is computed the way OpenAI bills (see billing.ts and
 * image-tokens.ts, which import nothing from the project); `model` names the dated snapshot; every
 * response carries an `x-request-id` and OpenAI's `x-ratelimit-*` headers. A fault script (faults.ts)
 * lets tests and the CLI rehearse OpenAI's bad days: throttling, outages, slow and broken responses,
 * refusals. The simulator keeps its own bill (bill.ts) and serves it as OpenAI's organization Usage and
 * Costs APIs (organization-api.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode, encode } from 'gpt-tokenizer/model/gpt-4o';
import { type BillLine, SimulatorBill, type UnpricedBillLine } from './bill.js';
import { audioTokens, messageFramingTokens, PromptCache, PromptTokens, textTokens } from './billing.js';
import { type Fault, FaultSchedule, parseFaultSpec, seededRandom } from './faults.js';
import { imageTokensFor, resolveDetail, type SimulatorImageDetail } from './image-tokens.js';
import { audioDurationSeconds, decodeDataUrl, imageSize } from './media.js';
import { findSimulatedModel, SIMULATED_MODELS, type SimulatedModel } from './models.js';
import { costsPage, OrganizationQueryError, usageCompletionsPage } from './organization-api.js';
import { simulatorPrice } from './price-table.js';
import { DEFAULT_RATE_LIMITS, type RateLimits, RateLimitWindow } from './rate-limits.js';
import { sampleFromSchema } from './schema-sample.js';

export interface SimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** Delay before every answer (faults included): fixed, or uniform in [min, max]. @default 0 */
  latencyMs?: number | { min: number; max: number };
  /** Fault script, see faults.ts. @default '' (always answer normally) */
  faults?: string;
  /** Seed for the probability form of the fault script. @default 1 */
  seed?: number;
  /**
   * Where the bill is kept as JSON lines (bill.ts); lines already there are served too.
   * @default none: the bill lives in memory only
   */
  billFile?: string;
  /** The one-minute window behind the `x-ratelimit-*` headers. @default DEFAULT_RATE_LIMITS (tier 4) */
  rateLimits?: Partial<RateLimits>;
}

export interface SimulatorRequestLog {
  path: string;
  model?: string;
  requestId: string;
  /** HTTP status sent; 0 while pending, or when the socket was reset / the client gave up first. */
  status: number;
  hasImage: boolean;
  hasAudio: boolean;
  /** Kept so tests can OCR what the model received (the first image). */
  imageDataUrl?: string;
  /** Every image of the request, in order (a document sends one per page). */
  imageDataUrls?: string[];
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:PORT/v1 */
  readonly baseUrl: string;
  readonly requests: SimulatorRequestLog[];
  /** Every request the model answered, as billed (also in `billFile` when one was given). */
  readonly bill: readonly BillLine[];
  setFaults(spec: string): void;
  setLatency(ms: number | { min: number; max: number }): void;
  close(): Promise<void>;
}

/** How long a `timeout` fault holds its response: longer than any client timeout we configure. */
const TIMEOUT_HOLD_MS = 120_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

interface ChatPart {
  type?: string;
  text?: string;
  image_url?: { url?: string; detail?: SimulatorImageDetail };
  input_audio?: { data?: string; format?: string };
}

interface ChatBody {
  model?: string;
  messages?: { role?: string; content?: string | ChatPart[] | null }[];
  response_format?: { type?: string; json_schema?: { name?: string; schema?: Record<string, unknown> } };
  max_tokens?: number;
  max_completion_tokens?: number;
}

function errorBody(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
) {
  return { status, body: { error: { message, type, param, code } } };
}

function faultResponse(
  fault: Fault,
  model: string,
): { status: number; body: unknown; headers?: Record<string, string> } | undefined {
  switch (fault.kind) {
    case 'rate_limit': {
      const headers: Record<string, string> = {};
      if (fault.retryAfter) headers[fault.retryAfter.header] = String(fault.retryAfter.value);
      return {
        ...errorBody(
          429,
          `Rate limit reached for ${model || 'gpt-4o'} in organization org-simulated on tokens per min (TPM). Please try again later.`,
          'tokens',
          'rate_limit_exceeded',
        ),
        headers,
      };
    }
    case 'quota':
      return errorBody(
        429,
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota',
        'insufficient_quota',
      );
    case 'refusal':
      return errorBody(
        400,
        'Your request was rejected as a result of our safety system.',
        'invalid_request_error',
        'content_policy_violation',
        'messages',
      );
    case 'status': {
      const messages: Record<number, [string, string, string | null]> = {
        400: ['Simulated bad request.', 'invalid_request_error', null],
        401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
        403: ['You are not allowed to access this resource.', 'invalid_request_error', 'permission_denied'],
        404: ['Simulated not found.', 'invalid_request_error', null],
        408: ['Request timed out.', 'server_error', null],
        409: ['Simulated conflict; please retry.', 'server_error', null],
        500: [
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
        ],
        502: ['Bad gateway.', 'server_error', null],
        503: ['The server is overloaded or not ready yet.', 'server_error', null],
        504: ['Gateway timeout.', 'server_error', null],
      };
      const [message, type, code] = messages[fault.status] ?? ['Simulated error.', 'server_error', null];
      return errorBody(fault.status, message, type, code);
    }
    default:
      return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'Request body too large.', 'invalid_request_error'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function requireModel(id: string | undefined, endpoint: SimulatedModel['endpoint']): SimulatedModel {
  if (!id)
    throw new HttpError(400, 'you must provide a model parameter', 'invalid_request_error', null, 'model');
  const model = findSimulatedModel(id);
  if (!model) {
    throw new HttpError(
      404,
      `The model \`${id}\` does not exist or you do not have access to it.`,
      'invalid_request_error',
      'model_not_found',
    );
  }
  if (model.endpoint !== endpoint) {
    const where = endpoint === 'chat' ? 'v1/chat/completions' : 'v1/audio/transcriptions';
    throw new HttpError(
      404,
      `This model is not supported in the ${where} endpoint.`,
      'invalid_request_error',
      null,
      'model',
    );
  }
  return model;
}

function shortDigest(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 12);
}

function formatSeconds(seconds: number): string {
  return `${Math.round(seconds * 10) / 10} s`;
}

/** What one answer bills, before the request id, the time and the price are added. */
type BilledUsage = Omit<UnpricedBillLine, 'timestamp' | 'requestId' | 'clientSawAnswer'>;

interface Answer {
  readonly body: unknown;
  /** Set for a plain-text answer (transcription with `response_format: text`). */
  readonly text?: string;
  readonly billed: BilledUsage;
}

/** Folds the first 32 bits of a digest into a marker for PromptTokens. */
function markerOf(digest: string): number {
  return Number.parseInt(digest.slice(0, 8), 16);
}

async function chatCompletion(body: ChatBody, fault: Fault, cache: PromptCache): Promise<Answer> {
  const model = requireModel(body.model, 'chat');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new HttpError(
      400,
      "Invalid 'messages': empty array.",
      'invalid_request_error',
      'empty_array',
      'messages',
    );
  }
  const roles: string[] = [];
  const texts: string[] = [];
  const prompt = new PromptTokens();
  const digestParts: (string | Buffer)[] = [model.id];
  const received: string[] = [];
  let imageTokenCount = 0;
  let audioTokenCount = 0;
  for (const [index, message] of body.messages.entries()) {
    roles.push(message.role ?? 'user');
    prompt.startMessage(message.role ?? 'user');
    const parts: ChatPart[] =
      typeof message.content === 'string'
        ? [{ type: 'text', text: message.content }]
        : (message.content ?? []);
    for (const part of parts) {
      if (part.type === 'text') {
        texts.push(part.text ?? '');
        prompt.text(part.text ?? '');
        digestParts.push(part.text ?? '');
      } else if (part.type === 'image_url') {
        if (!model.image) {
          throw new HttpError(
            400,
            `Image inputs are not supported by ${model.id}.`,
            'invalid_request_error',
            null,
            `messages[${index}]`,
          );
        }
        const decoded = decodeDataUrl(part.image_url?.url ?? '');
        const size = decoded ? await imageSize(decoded.bytes) : undefined;
        if (!decoded || !size) {
          throw new HttpError(
            400,
            'You uploaded an unsupported image. Please make sure your image is valid (the simulator takes data URLs only).',
            'invalid_request_error',
            'invalid_image_format',
            `messages[${index}]`,
          );
        }
        const detail = resolveDetail(part.image_url?.detail ?? 'auto', size.width, size.height);
        const tokens = imageTokensFor({ ...size, detail, model: model.snapshot });
        imageTokenCount += tokens;
        prompt.opaque(markerOf(shortDigest([decoded.bytes, detail])), tokens);
        digestParts.push(decoded.bytes, detail);
        received.push(`1 image ${size.width}×${size.height} (detail ${detail}, ${tokens} image tokens)`);
      } else if (part.type === 'input_audio') {
        if (!model.audio) {
          throw new HttpError(
            400,
            `Audio inputs are not supported by ${model.id}.`,
            'invalid_request_error',
            null,
            `messages[${index}]`,
          );
        }
        const bytes = Buffer.from(part.input_audio?.data ?? '', 'base64');
        const seconds = audioDurationSeconds(bytes, part.input_audio?.format ?? '');
        if (seconds === undefined) {
          throw new HttpError(
            400,
            'The audio data could not be decoded.',
            'invalid_request_error',
            'invalid_value',
            `messages[${index}]`,
          );
        }
        audioTokenCount += audioTokens(seconds);
        prompt.opaque(markerOf(shortDigest([bytes])), audioTokens(seconds));
        digestParts.push(bytes);
        received.push(`${formatSeconds(seconds)} of audio (${audioTokens(seconds)} audio tokens)`);
      } else {
        throw new HttpError(
          400,
          `Invalid content part type: ${part.type}`,
          'invalid_request_error',
          null,
          `messages[${index}]`,
        );
      }
    }
  }

  prompt.primeReply();
  const textTokenCount = messageFramingTokens(roles) + texts.reduce((sum, text) => sum + textTokens(text), 0);
  const promptTokens = textTokenCount + imageTokenCount + audioTokenCount;
  const promptKey = shortDigest(digestParts);
  // Models without a cached-input price have no prompt caching.
  const cachedTokens = simulatorPrice(model.snapshot).cachedIn === null ? 0 : cache.lookup(model.id, prompt);

  const summary =
    `[simulated ${model.id}] Received ${received.length > 0 ? received.join(' and ') : 'no media'}` +
    ` with ${textTokenCount} prompt text tokens. Answer ${promptKey}: this is a deterministic simulated reply.`;
  let content: string;
  const format = body.response_format;
  if (format?.type === 'json_schema') {
    if (!format.json_schema?.schema) {
      throw new HttpError(
        400,
        "Missing required parameter: 'response_format.json_schema.schema'.",
        'invalid_request_error',
        'missing_required_parameter',
        'response_format',
      );
    }
    content = JSON.stringify(sampleFromSchema(format.json_schema.schema));
  } else if (format?.type === 'json_object') {
    content = JSON.stringify({ simulated: true, summary });
  } else {
    content = summary;
  }

  let finishReason = 'stop';
  let completion = encode(content);
  const limit = body.max_completion_tokens ?? body.max_tokens;
  if (typeof limit === 'number' && completion.length > limit) {
    completion = completion.slice(0, limit);
    content = decode(completion);
    finishReason = 'length';
  }
  const refused = fault.kind === 'refusal_message';
  const refusal = "[simulated] I'm sorry, but I can't help with that request.";
  const completionTokens = refused ? textTokens(refusal) : completion.length;

  const response = {
    id: `chatcmpl-sim-${promptKey}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model.snapshot,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: refused ? null : content,
          refusal: refused ? refusal : null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: {
        cached_tokens: cachedTokens,
        audio_tokens: audioTokenCount,
        image_tokens: imageTokenCount,
        text_tokens: textTokenCount,
      },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        text_tokens: completionTokens,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_simulated',
  };
  return {
    body: response,
    billed: {
      endpoint: 'chat.completions',
      model: model.snapshot,
      inputTokens: promptTokens,
      cachedTokens,
      imageTokens: imageTokenCount,
      audioInputTokens: audioTokenCount,
      outputTokens: completionTokens,
      audioOutputTokens: 0,
    },
  };
}

async function transcription(raw: Buffer, contentType: string): Promise<Answer> {
  let form: FormData;
  try {
    form = await new Request('http://simulator/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw,
    }).formData();
  } catch {
    throw new HttpError(400, 'Could not parse multipart form.', 'invalid_request_error');
  }
  const model = requireModel(String(form.get('model') ?? ''), 'transcription');
  const file = form.get('file');
  if (!file || typeof file === 'string') {
    throw new HttpError(
      400,
      "Missing required parameter: 'file'.",
      'invalid_request_error',
      'missing_required_parameter',
      'file',
    );
  }
  const bytes = Buffer.from(await file.arrayBuffer());
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  const seconds = audioDurationSeconds(bytes, extension);
  if (seconds === undefined) {
    throw new HttpError(
      400,
      'Audio file might be corrupted or unsupported',
      'invalid_request_error',
      'invalid_value',
      'file',
    );
  }
  const text = `[simulated ${model.id}] Transcript of ${formatSeconds(seconds)} of audio ${shortDigest([bytes])}.`;
  const byDuration = model.id === 'whisper-1';
  const billed: BilledUsage = {
    endpoint: 'audio.transcriptions',
    model: model.snapshot,
    inputTokens: byDuration ? 0 : audioTokens(seconds),
    cachedTokens: 0,
    imageTokens: 0,
    audioInputTokens: byDuration ? 0 : audioTokens(seconds),
    outputTokens: byDuration ? 0 : textTokens(text),
    audioOutputTokens: 0,
    ...(byDuration ? { audioSeconds: Math.ceil(seconds) } : {}),
  };
  if (form.get('response_format') === 'text') return { body: undefined, text, billed };
  const usage = byDuration
    ? { type: 'duration', seconds: Math.ceil(seconds) }
    : {
        type: 'tokens',
        input_tokens: audioTokens(seconds),
        input_token_details: { text_tokens: 0, audio_tokens: audioTokens(seconds) },
        output_tokens: textTokens(text),
        total_tokens: audioTokens(seconds) + textTokens(text),
      };
  return { body: { text, usage }, billed };
}

function peekJson(raw: Buffer): ChatBody {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as ChatBody) : {};
  } catch {
    return {};
  }
}

function describeMedia(
  body: ChatBody,
): Pick<SimulatorRequestLog, 'hasImage' | 'hasAudio' | 'imageDataUrl' | 'imageDataUrls'> {
  const imageDataUrls: string[] = [];
  let hasAudio = false;
  for (const message of body.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content) {
      if (part.type === 'image_url' && part.image_url?.url) imageDataUrls.push(part.image_url.url);
      if (part.type === 'input_audio') hasAudio = true;
    }
  }
  const [imageDataUrl] = imageDataUrls;
  return {
    hasImage: imageDataUrl !== undefined,
    hasAudio,
    ...(imageDataUrl ? { imageDataUrl, imageDataUrls } : {}),
  };
}

export async function startOpenAiSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const schedule = new FaultSchedule(parseFaultSpec(options.faults), seededRandom(options.seed ?? 1));
  let latency = options.latencyMs ?? 0;
  const requests: SimulatorRequestLog[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const promptCache = new PromptCache();
  const bill = new SimulatorBill(options.billFile);
  const rateLimits = new RateLimitWindow({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits });
  let closing = false;

  const wait = (ms: number, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
      // A client that gives up (SDK timeout) or a closing server ends the wait: nothing is left hanging.
      res.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve();
      });
    });

  const delay = () => {
    if (typeof latency === 'number') return latency;
    return latency.min + Math.random() * (latency.max - latency.min);
  };

  const send = (
    res: ServerResponse,
    log: SimulatorRequestLog | undefined,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    raw?: string,
  ) => {
    if (res.destroyed || res.writableEnded) return;
    const payload = raw ?? JSON.stringify(body);
    res.writeHead(status, {
      'content-type':
        raw !== undefined && body === undefined ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      'x-request-id': log?.requestId ?? `req_sim_${randomBytes(12).toString('hex')}`,
      'openai-processing-ms': '1',
      ...headers,
    });
    res.end(payload);
    if (log) log.status = status;
  };

  const hasBearer = (req: IncomingMessage) => /^Bearer\s+\S+/.test(req.headers.authorization ?? '');

  const missingKey = (res: ServerResponse, log?: SimulatorRequestLog) => {
    const { status, body } = errorBody(
      401,
      'You did not provide an API key.',
      'invalid_request_error',
      'missing_api_key',
    );
    return send(res, log, status, body);
  };

  /** The organization Usage and Costs APIs; OpenAI wants an admin key there, the simulator any bearer. */
  const organization = (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (!hasBearer(req)) return missingKey(res);
    const query = new URL(req.url ?? '/', 'http://simulator').searchParams;
    try {
      const page =
        path === '/v1/organization/costs'
          ? costsPage(bill.lines, query)
          : usageCompletionsPage(bill.lines, query);
      return send(res, undefined, 200, page);
    } catch (error) {
      if (!(error instanceof OrganizationQueryError)) throw error;
      const { status, body } = errorBody(400, error.message, 'invalid_request_error', null, error.param);
      return send(res, undefined, status, body);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (
      req.method === 'GET' &&
      (path === '/v1/organization/usage/completions' || path === '/v1/organization/costs')
    ) {
      return organization(req, res, path);
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const data = SIMULATED_MODELS.map((m) => ({
        id: m.id,
        object: 'model',
        created: 0,
        owned_by: 'simulator',
      }));
      return send(res, undefined, 200, { object: 'list', data });
    }
    if (req.method === 'GET' && path.startsWith('/v1/models/')) {
      const model = findSimulatedModel(decodeURIComponent(path.slice('/v1/models/'.length)));
      if (!model) {
        const { status, body } = errorBody(
          404,
          'The model does not exist.',
          'invalid_request_error',
          'model_not_found',
        );
        return send(res, undefined, status, body);
      }
      return send(res, undefined, 200, { id: model.id, object: 'model', created: 0, owned_by: 'simulator' });
    }
    const isChat = req.method === 'POST' && path === '/v1/chat/completions';
    const isTranscription = req.method === 'POST' && path === '/v1/audio/transcriptions';
    if (!isChat && !isTranscription) {
      const { status, body } = errorBody(404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error');
      return send(res, undefined, status, body);
    }

    const raw = await readBody(req);
    const peeked = isChat ? peekJson(raw) : {};
    const log: SimulatorRequestLog = {
      path,
      requestId: `req_sim_${randomBytes(12).toString('hex')}`,
      status: 0,
      hasImage: false,
      hasAudio: isTranscription,
      ...(isChat ? describeMedia(peeked) : {}),
      ...(typeof peeked.model === 'string' ? { model: peeked.model } : {}),
    };
    requests.push(log);
    if (!hasBearer(req)) return missingKey(res, log);
    if (!rateLimits.admit()) {
      const { status, body } = errorBody(
        429,
        `Rate limit reached for ${log.model ?? 'requests'} in organization org-simulated on requests per min (RPM). Please try again later.`,
        'requests',
        'rate_limit_exceeded',
      );
      const retryAfterMs = rateLimits.retryAfterMs();
      return send(res, log, status, body, {
        ...rateLimits.headers(),
        'retry-after-ms': String(retryAfterMs),
        'retry-after': String(Math.ceil(retryAfterMs / 1000)),
      });
    }

    try {
      await answer(req, res, raw, peeked, log, isChat);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const { status, body } = errorBody(error.status, error.message, error.type, error.code, error.param);
      send(res, log, status, body);
    }
  };

  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    peeked: ChatBody,
    log: SimulatorRequestLog,
    isChat: boolean,
  ) => {
    const fault = schedule.next();
    await wait(delay(), res);
    // Lost on the way in: the model never saw the request, so nothing is billed.
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const failure = faultResponse(fault, log.model ?? '');
    if (failure) return send(res, log, failure.status, failure.body, failure.headers);

    const result = isChat
      ? await chatCompletion(peeked, fault, promptCache)
      : await transcription(raw, req.headers['content-type'] ?? '');
    // The model has answered: OpenAI bills it from here on, whatever becomes of the response.
    const lostAfterBill =
      fault.kind === 'timeout' || fault.kind === 'reset_after_bill' || fault.kind === 'malformed';
    bill.record({
      timestamp: new Date().toISOString(),
      requestId: log.requestId,
      ...result.billed,
      clientSawAnswer: !lostAfterBill,
    });
    rateLimits.spend(result.billed.inputTokens + result.billed.outputTokens);
    const headers = rateLimits.headers();

    if (fault.kind === 'reset_after_bill') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'timeout') {
      await wait(TIMEOUT_HOLD_MS, res);
      if (closing) return;
    }
    if (fault.kind === 'malformed') {
      return send(
        res,
        log,
        200,
        {},
        headers,
        '{"id":"chatcmpl-sim-broken","object":"chat.completion","choices":[{"index":0,',
      );
    }
    if (result.text !== undefined) return send(res, log, 200, undefined, headers, result.text);
    if (fault.kind === 'no_usage' && result.body && typeof result.body === 'object') {
      const { usage: _dropped, ...withoutUsage } = result.body as Record<string, unknown>;
      return send(res, log, 200, withoutUsage, headers);
    }
    return send(res, log, 200, result.body, headers);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        const { status, body } = errorBody(error.status, error.message, error.type, error.code, error.param);
        return send(res, undefined, status, body);
      }
      const { status, body } = errorBody(500, 'Simulator bug: see its stderr.', 'server_error');
      console.error('openai-simulator:', error);
      send(res, undefined, status, body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    baseUrl: `http://${host}:${address.port}/v1`,
    requests,
    bill: bill.lines,
    setFaults(spec: string) {
      schedule.replace(parseFaultSpec(spec));
    },
    setLatency(ms) {
      latency = ms;
    },
    async close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
