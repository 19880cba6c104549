/**
 * Builds `InvokeDeps` for the handler from settings, so the handler stays a table of contents: the OpenAI
 * key (environment or Secrets Manager), one OpenAI client per configured logical endpoint, the shared breaker and result cache on the runtime-state table,
 * prices from the cost step's table, and breaker transitions turned into an event and a log line.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createDynamoDbBreakerStore } from '../adapters/dynamodb-breaker-store.js';
import { createDynamoRateBuckets } from '../adapters/dynamodb-rate-buckets.js';
import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createOpenAiModelClient } from '../adapters/openai-model-client.js';
import {
  type BreakerPolicy,
  type BreakerTransition,
  breakerEvent,
  DEFAULT_BREAKER_POLICY,
  SharedCircuitBreaker,
} from '../model/breaker.js';
import { priceOfEstimate } from '../model/estimate.js';
import type { InvokeDeps, RetryPolicy } from '../model/invoke.js';
import type { RouteDefinition } from '../model/routes.js';
import { compressMs, compressPolicy, compressTimeoutMs } from '../pipeline/time-scale.js';
import type { EventPublisher, ModelClient } from '../ports.js';
import { createOrgRateLimiter } from '../tenants/rate-limit.js';
import { secretsClient } from './clients/secrets-manager.js';
import { checkPolicyOverrides } from './policy-overrides.js';
import type { RuntimeConfig } from './settings.js';

export interface InvokeWiringOptions {
  readonly apiKey: string;
  /** Per attempt. */
  readonly timeoutMs: number;
  /**
   * Base URL per logical endpoint name. `primary` is always available (undefined = OpenAI itself); any
   * other endpoint must be listed, or routes on it are left out rather than silently sent to `primary`.
   */
  readonly endpoints: Readonly<Record<string, string | undefined>>;
  /** With `stateTable`, enables the shared breaker and the result cache. */
  readonly dynamo?: DynamoDBClient;
  readonly stateTable?: string;
  readonly breakerPolicy?: Partial<BreakerPolicy>;
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Receives breaker transitions as `Model Route Breaker Changed` events. */
  readonly publisher?: EventPublisher;
  /** Extra hook for transitions (e.g. a Powertools metric). */
  readonly onBreakerTransition?: (transition: BreakerTransition) => void;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  /** Rehearsal clock: breaker durations, sleeps and the attempt timeout are divided by it. @default 1 */
  readonly timeScale?: number;
}

export function createInvokeDeps(options: InvokeWiringOptions): InvokeDeps {
  checkPolicyOverrides(options.retryPolicy, options.breakerPolicy);
  const scale = options.timeScale ?? 1;
  const clients = new Map<string, ModelClient>();
  const available = (endpoint: string) =>
    endpoint === 'primary' || Object.hasOwn(options.endpoints, endpoint);
  const clientFor = (route: RouteDefinition): ModelClient => {
    let client = clients.get(route.endpoint);
    if (!client) {
      const baseURL = options.endpoints[route.endpoint];
      client = createOpenAiModelClient({
        apiKey: options.apiKey,
        timeoutMs: compressTimeoutMs(options.timeoutMs, scale),
        ...(baseURL ? { baseURL } : {}),
      });
      clients.set(route.endpoint, client);
    }
    return client;
  };
  const log = options.log;
  const stateful =
    options.dynamo && options.stateTable ? { dynamo: options.dynamo, table: options.stateTable } : undefined;
  const breaker = stateful
    ? new SharedCircuitBreaker(createDynamoDbBreakerStore(stateful.dynamo, stateful.table), {
        policy: compressPolicy({ ...DEFAULT_BREAKER_POLICY, ...options.breakerPolicy }, scale),
        onTransition: async (transition) => {
          log?.('model route breaker changed', { ...transition });
          options.onBreakerTransition?.(transition);
          await options.publisher?.publish(breakerEvent(transition));
        },
        onStoreError: (error, operation) =>
          log?.('breaker store failed; admitting', { operation, error: String(error) }),
      })
    : undefined;
  return {
    clientFor,
    routeAvailable: (route) => available(route.endpoint),
    priceOf: priceOfEstimate,
    // Retry decisions stay in world time (retry-after against its cap, the sleep budget); only the wait shrinks.
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, compressMs(ms, scale))),
    ...(options.retryPolicy ? { retry: options.retryPolicy } : {}),
    ...(breaker ? { breaker } : {}),
    ...(stateful ? { cache: createDynamoDbResultCache(stateful.dynamo, stateful.table) } : {}),
    ...(stateful
      ? { orgLimits: createOrgRateLimiter(createDynamoRateBuckets(stateful.dynamo, stateful.table)) }
      : {}),
    ...(log ? { log } : {}),
  };
}

/** The OpenAI key: from the environment when set, else from Secrets Manager (AWS deployments). */
export async function resolveOpenAiApiKey(config: RuntimeConfig): Promise<string> {
  if (config.openai.apiKey) return config.openai.apiKey;
  if (config.openai.apiKeySecretArn) {
    const secret = await secretsClient(config).send(
      new GetSecretValueCommand({ SecretId: config.openai.apiKeySecretArn }),
    );
    if (!secret.SecretString) throw new Error('the OpenAI API key secret is empty');
    return secret.SecretString.trim();
  }
  throw new Error('no OpenAI API key: set OPENAI_API_KEY or OPENAI_API_KEY_SECRET_ARN');
}
