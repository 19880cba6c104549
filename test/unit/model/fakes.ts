/** Test doubles for the invoke-model ports: scripted model clients, an in-memory cache and breaker store. */
import { closedRecord } from '../../../functions/model/breaker.js';
import type { RouteDefinition } from '../../../functions/model/routes.js';
import type {
  BreakerRecord,
  BreakerStore,
  CachedResult,
  Ledger,
  LedgerEntry,
  ResultCache,
} from '../../../functions/ports.js';
import {
  ModelCallError,
  type ModelCallRequest,
  type ModelCallResult,
  type ModelClient,
  type ModelErrorKind,
} from '../../../functions/ports.js';

export type Step =
  | { ok: string; usage?: Partial<ModelCallResult['usage']>; usageMissing?: boolean }
  | {
      fail: ModelErrorKind;
      status?: number;
      retryAfterMs?: number;
      billed?: boolean;
      /** A timeout or reset after sending: the provider may have billed it. */
      outcomeUnknown?: boolean;
    };

/** What every scripted answer (and billed refusal) reports as usage. */
export const SCRIPTED_USAGE = {
  promptTokens: 10,
  cachedPromptTokens: 0,
  audioPromptTokens: 0,
  completionTokens: 5,
  audioCompletionTokens: 0,
} as const;

const ZERO_USAGE = {
  promptTokens: 0,
  cachedPromptTokens: 0,
  audioPromptTokens: 0,
  completionTokens: 0,
  audioCompletionTokens: 0,
} as const;

/** A ledger that keeps entries in memory, with the real one's write-once rule. */
export function memoryLedger(): Ledger & { entries: LedgerEntry[] } {
  const entries: LedgerEntry[] = [];
  return {
    entries,
    async record(entry) {
      if (entries.some((existing) => existing.id === entry.id)) return { written: false };
      entries.push(entry);
      return { written: true };
    },
  };
}

export interface ScriptedModel {
  clientFor: (route: RouteDefinition) => ModelClient;
  /** Every call, in order, with the route it went to. */
  calls: { route: string; request: ModelCallRequest }[];
}

/** Each route plays its own script; past the end it answers `default:<route>`. */
export function scriptedModel(scripts: Record<string, Step[]>): ScriptedModel {
  const calls: ScriptedModel['calls'] = [];
  let counter = 0;
  return {
    calls,
    clientFor: (route) => ({
      async call(request) {
        calls.push({ route: route.name, request });
        const step = scripts[route.name]?.shift() ?? { ok: `default:${route.name}` };
        const requestId = `req_${++counter}`;
        if ('fail' in step) {
          throw new ModelCallError(step.fail, `scripted ${step.fail}`, {
            requestId,
            ...(step.status !== undefined ? { status: step.status } : {}),
            ...(step.retryAfterMs !== undefined ? { retryAfterMs: step.retryAfterMs } : {}),
            ...(step.outcomeUnknown ? { outcomeUnknown: true } : {}),
            ...(step.billed ? { billed: { model: request.model, usage: SCRIPTED_USAGE } } : {}),
          });
        }
        if (step.usageMissing) {
          return { text: step.ok, model: request.model, requestId, usage: ZERO_USAGE, usageMissing: true };
        }
        return {
          text: step.ok,
          model: request.model,
          requestId,
          usage: { ...SCRIPTED_USAGE, ...step.usage },
        };
      },
    }),
  };
}

export function memoryCache(): ResultCache & {
  entries: Map<string, { value: CachedResult; ttlSeconds: number }>;
} {
  const entries = new Map<string, { value: CachedResult; ttlSeconds: number }>();
  return {
    entries,
    async get(tenant, key) {
      return entries.get(`${tenant}/${key}`)?.value;
    },
    async put(tenant, key, value, ttlSeconds) {
      entries.set(`${tenant}/${key}`, { value, ttlSeconds });
    },
  };
}

export function recordingSleep(): { sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

/** BreakerStore in memory, with the same atomic and conditional semantics as the DynamoDB adapter. */
export function memoryBreakerStore(): BreakerStore & { records: Map<string, BreakerRecord>; reads: number } {
  const records = new Map<string, BreakerRecord>();
  const store = {
    records,
    reads: 0,
    async read(route: string) {
      store.reads++;
      return records.get(route);
    },
    async count(route: string, { success, windowStartMs }: { success: boolean; windowStartMs: number }) {
      const current = records.get(route) ?? closedRecord(route);
      const sameWindow = current.windowStartMs === windowStartMs;
      const next: BreakerRecord = {
        ...current,
        windowStartMs,
        windowRequests: (sameWindow ? current.windowRequests : 0) + 1,
        windowFailures: (sameWindow ? current.windowFailures : 0) + (success ? 0 : 1),
        consecutiveFailures: success ? 0 : current.consecutiveFailures + 1,
      };
      records.set(route, next);
      return next;
    },
    async transition(next: BreakerRecord, expectedVersion: number) {
      if ((records.get(next.route)?.version ?? 0) !== expectedVersion) return false;
      records.set(next.route, next);
      return true;
    },
  };
  return store;
}
