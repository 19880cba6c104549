/**
 * The simulator's fault script: what the next requests should suffer before it answers normally again.
 *
 * Grammar (comma-separated, whitespace ignored):
 *   ok                       a normal answer (useful to space faults out)
 *   429 | 429@S | 429ms@MS  rate limit, optionally with `retry-after: S` (seconds) or `retry-after-ms: MS`
 *   quota                    429 `insufficient_quota` (not retryable)
 *   400 401 403 404 408 409 500 502 503 504   that status with an OpenAI-shaped error body
 *   timeout                  the model answers (and the bill counts it) but the response is held past any
 *                            sane client timeout: a slow model, which OpenAI bills although the client
 *                            gave up (the hold ends when the client or the server closes)
 *   reset                    destroy the socket before the model sees the request: nothing is billed
 *   reset-after-bill         the model answers (billed), then the socket is destroyed before the answer
 *                            leaves: the case a client cannot tell from `reset`
 *   malformed                200 whose body is a truncated completion (not JSON); billed, as the model
 *                            produced it
 *   no-usage                 a normal 200 answer whose body has no `usage` field (billed all the same)
 *   refusal                  400 `content_policy_violation`
 *   refusal-message          200 whose message carries `refusal` instead of content
 *   ENTRY*N                  the entry N times (`503*3`)
 *   pENTRY=P                 from now on, each request independently suffers ENTRY with probability P
 *                            (seeded, so a run is reproducible); scripted entries are played first
 */

export type Fault =
  | { readonly kind: 'ok' }
  | { readonly kind: 'status'; readonly status: number }
  | {
      readonly kind: 'rate_limit';
      readonly retryAfter?: { readonly header: 'retry-after' | 'retry-after-ms'; readonly value: number };
    }
  | { readonly kind: 'quota' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'reset_after_bill' }
  | { readonly kind: 'no_usage' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'refusal' }
  | { readonly kind: 'refusal_message' };

export interface FaultPlan {
  /** Played one per incoming request, in order. */
  readonly script: readonly Fault[];
  /** Checked in order for requests past the script; the first that fires wins. */
  readonly random: readonly { readonly fault: Fault; readonly probability: number }[];
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const ERROR_STATUSES = new Set([400, 401, 403, 404, 408, 409, 500, 502, 503, 504]);
const MAX_REPEAT = 10_000;

function parseFault(token: string): Fault {
  const rateLimit = /^429(?:(ms)?@(\d+(?:\.\d+)?))?$/.exec(token);
  if (rateLimit) {
    if (rateLimit[2] === undefined) return { kind: 'rate_limit' };
    const header = rateLimit[1] ? 'retry-after-ms' : 'retry-after';
    return { kind: 'rate_limit', retryAfter: { header, value: Number(rateLimit[2]) } };
  }
  if (/^\d{3}$/.test(token)) {
    const status = Number(token);
    if (!ERROR_STATUSES.has(status)) throw new FaultSpecError(`unsupported status in fault script: ${token}`);
    return { kind: 'status', status };
  }
  switch (token) {
    case 'ok':
      return { kind: 'ok' };
    case 'quota':
      return { kind: 'quota' };
    case 'timeout':
      return { kind: 'timeout' };
    case 'reset':
      return { kind: 'reset' };
    case 'reset-after-bill':
      return { kind: 'reset_after_bill' };
    case 'no-usage':
      return { kind: 'no_usage' };
    case 'malformed':
      return { kind: 'malformed' };
    case 'refusal':
      return { kind: 'refusal' };
    case 'refusal-message':
      return { kind: 'refusal_message' };
    default:
      throw new FaultSpecError(`unknown fault "${token}"`);
  }
}

export function parseFaultSpec(spec: string | undefined): FaultPlan {
  const script: Fault[] = [];
  const random: { fault: Fault; probability: number }[] = [];
  for (const raw of (spec ?? '').split(',')) {
    const entry = raw.replace(/\s+/g, '').toLowerCase();
    if (entry === '') continue;
    const probabilistic = /^p(.+)=(\d*\.?\d+)$/.exec(entry);
    if (probabilistic?.[1] && probabilistic[2]) {
      const probability = Number(probabilistic[2]);
      if (!(probability >= 0 && probability <= 1)) {
        throw new FaultSpecError(`probability must be within [0, 1] in "${entry}"`);
      }
      random.push({ fault: parseFault(probabilistic[1]), probability });
      continue;
    }
    const repeated = /^(.+)\*(\d+)$/.exec(entry);
    const token = repeated?.[1] ?? entry;
    const times = repeated?.[2] === undefined ? 1 : Number(repeated[2]);
    if (times < 1 || times > MAX_REPEAT) throw new FaultSpecError(`repeat count out of range in "${entry}"`);
    const fault = parseFault(token);
    for (let i = 0; i < times; i++) script.push(fault);
  }
  return { script, random };
}

/** Small seeded PRNG (mulberry32): the probability form must replay identically run after run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Hands out one fault per incoming request. */
export class FaultSchedule {
  private queue: Fault[];
  private random: FaultPlan['random'];

  constructor(
    plan: FaultPlan,
    private readonly rng: () => number = seededRandom(1),
  ) {
    this.queue = [...plan.script];
    this.random = plan.random;
  }

  replace(plan: FaultPlan): void {
    this.queue = [...plan.script];
    this.random = plan.random;
  }

  /** Scripted entries still to be played. */
  get pending(): number {
    return this.queue.length;
  }

  next(): Fault {
    const scripted = this.queue.shift();
    if (scripted) return scripted;
    for (const { fault, probability } of this.random) {
      if (this.rng() < probability) return fault;
    }
    return { kind: 'ok' };
  }
}
