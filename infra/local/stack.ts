/**
 * The local stack: everything the pipeline touches in AWS, as real programs on loopback, wired from the
 * synthesized template. S3 (s3rver), DynamoDB (dynalite), Step Functions (aws-local-stepfunctions running
 * the template's ASL), EventBridge (a JSON-lines bus), the presign function URL and, unless a real OpenAI
 * endpoint is configured, the OpenAI simulator. State lives on disk under one directory, guarded by a lock.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { onFirstUse } from '../../functions/config/on-first-use.js';
import { compressMs, defaultTimeScale } from '../../functions/pipeline/time-scale.js';
import { type CfnTemplate, synthesizeMediagate } from '../synth.js';
import { type LocalEventBus, type RecordedEvent, startLocalEventBus } from './event-bus.js';
import { matchesEventPattern } from './event-pattern.js';
import { acquireLock } from './lock.js';
import { type RunningSimulator, startOpenAiSimulator } from './openai-simulator/server.js';
import { startFunctionUrl } from './presign-server.js';
import { LOCAL_CREDENTIALS, type S3ObjectCreatedEvent } from './s3.js';
import { type LocalStepFunctions, parkPatienceSeconds, startLocalStepFunctions } from './step-functions.js';
import { startStorageThread } from './storage-thread.js';
import {
  bucketNames,
  functionEnvironment,
  LOCAL_REGION,
  resolveIntrinsics,
  scheduledSteps,
  stateMachineDefinition,
  tableDefinitions,
} from './template.js';

export const DEFAULT_STATE_DIR = '.mediagate';

/** Counts stacks started in this process; each gets its own instance of the handler modules. */
let stackInstances = 0;

export interface LocalStackOptions {
  /** Where objects, tables, executions and the event log live. @default MEDIAGATE_STATE_DIR or .mediagate */
  readonly stateDir?: string;
  /** Simulator fault script (see the model-call docs). @default MEDIAGATE_SIM_FAULTS */
  readonly simulatorFaults?: string;
  /** Simulator latency. @default MEDIAGATE_SIM_LATENCY_MS or 0 */
  readonly simulatorLatencyMs?: number | { min: number; max: number };
  /**
   * Rehearsal clock: every wait (park retries, breaker cool-downs and leases, retry-after sleeps, attempt
   * timeouts, reservation TTLs) is divided by it. @default MEDIAGATE_TIME_SCALE, or the factor that fits
   * the state machine's whole park patience into 2 minutes
   */
  readonly timeScale?: number;
  /** Port of `POST /v1/analyze` on loopback. @default a free port */
  readonly analyzePort?: number;
  /** Extra environment for the functions (tests use it to pick policies, limits…). */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface LocalStack {
  readonly stateDir: string;
  readonly template: CfnTemplate;
  readonly endpoints: {
    readonly s3: string;
    readonly dynamodb: string;
    readonly sfn: string;
    readonly eventbridge: string;
    readonly presign: string;
    /** `POST /v1/analyze` and `GET /healthz` (the Express workflow, synchronously). */
    readonly analyze: string;
    readonly openai: string;
  };
  /** The environment the functions run with (also what `mediagate up` prints). */
  readonly environment: Readonly<Record<string, string>>;
  readonly simulator?: RunningSimulator;
  readonly events: LocalEventBus;
  readonly stepFunctions: LocalStepFunctions;
  /** Delivers an S3 event as EventBridge → SQS → starter would (tests use it to replay duplicates). */
  deliverObjectEvent(event: S3ObjectCreatedEvent): Promise<void>;
  /**
   * Runs every scheduled function once (EventBridge schedules in AWS; here on demand and at every stop),
   * e.g. the daily signing of the audit chain heads with the local key.
   */
  runSchedules(): Promise<void>;
  /** Appends the decisions steps have queued to the audit chains now (the chainer's schedule, at once). */
  chainAudit(): Promise<void>;
  /** The first outcome event for an ingest key. */
  waitForOutcome(key: string, timeoutMs?: number): Promise<RecordedEvent>;
  stop(): Promise<void>;
}

export function parseLatency(spec: string | undefined): number | { min: number; max: number } | undefined {
  if (!spec) return undefined;
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(spec)) return Number(spec);
  throw new Error(`latency must be N or N-M milliseconds; got "${spec}"`);
}

/** `--time-scale N`: a whole number ≥ 1, or undefined for the default. */
export function parseTimeScale(spec: string | undefined): number | undefined {
  return spec === undefined || spec === '' ? undefined : wholeTimeScale(Number(spec), spec);
}

function wholeTimeScale(scale: number, shown: string): number {
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`the time scale must be a whole number ≥ 1; got "${shown}"`);
  return scale;
}

/** The rehearsal clock's factor: given, from MEDIAGATE_TIME_SCALE, or the park patience in 2 minutes. */
export function resolveTimeScale(
  given: number | undefined,
  definition: Parameters<typeof parkPatienceSeconds>[0],
): number {
  if (given !== undefined) return wholeTimeScale(given, String(given));
  return (
    parseTimeScale(process.env.MEDIAGATE_TIME_SCALE) ?? defaultTimeScale(parkPatienceSeconds(definition))
  );
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = path.resolve(options.stateDir ?? process.env.MEDIAGATE_STATE_DIR ?? DEFAULT_STATE_DIR);
  fs.mkdirSync(stateDir, { recursive: true });
  const releaseLock = acquireLock(path.join(stateDir, 'stack.lock'));
  // The handlers read their configuration from process.env, as in Lambda; what the stack sets there is put
  // back when it stops, so a later stack in the same process (tests, benches) starts from a clean slate.
  const environmentBefore = { ...process.env };
  const restoreEnvironment = () => {
    for (const name of Object.keys(process.env)) if (!(name in environmentBefore)) delete process.env[name];
    Object.assign(process.env, environmentBefore);
  };
  const closers: (() => Promise<void> | void)[] = [restoreEnvironment, releaseLock];
  const stopAll = async () => {
    for (const close of closers.reverse()) await close();
  };

  try {
    const { template } = synthesizeMediagate();
    const definition = stateMachineDefinition(template);
    const expressDefinition = stateMachineDefinition(template, 'express');
    const instance = ++stackInstances;
    const timeScale = resolveTimeScale(options.timeScale, definition.definition);

    const objectEvents: S3ObjectCreatedEvent[] = [];
    let deliver: (event: S3ObjectCreatedEvent) => void = (event) => objectEvents.push(event);
    const storage = await startStorageThread(
      {
        s3Directory: path.join(stateDir, 's3'),
        buckets: bucketNames(template),
        dynamoPath: path.join(stateDir, 'dynamodb'),
      },
      (event) => deliver(event),
    );
    closers.push(() => storage.close());
    const s3 = { endpoint: storage.s3Endpoint };
    const dynamo = { endpoint: storage.dynamoEndpoint };
    await createTables(template, dynamo.endpoint);

    const events = await startLocalEventBus({ logFile: path.join(stateDir, 'events.jsonl') });
    closers.push(() => events.close());

    const useRealOpenAi = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
    const faults = options.simulatorFaults ?? process.env.MEDIAGATE_SIM_FAULTS;
    if (useRealOpenAi && faults) {
      // Faults are played by the simulator; a real endpoint would silently ignore the rehearsal.
      throw new Error('--sim-faults needs the simulator: unset OPENAI_API_KEY and OPENAI_BASE_URL');
    }
    let simulator: RunningSimulator | undefined;
    if (!useRealOpenAi) {
      simulator = await startOpenAiSimulator({
        faults,
        // The provider's side of the reconciliation: survives restarts of the stack, like the ledger.
        billFile: path.join(stateDir, 'openai-bill.jsonl'),
        latencyMs: options.simulatorLatencyMs ?? parseLatency(process.env.MEDIAGATE_SIM_LATENCY_MS),
      });
      closers.push(() => simulator?.close());
    }

    const environment: Record<string, string> = {
      ...functionEnvironment(template),
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: events.endpoint,
      // Offline stand-ins for the AWS services that have no local server (Comprehend, Textract); for
      // Transcribe there is none worth trusting (docs/dlp.md), so audio is reported as not scanned.
      MEDIAGATE_PII_DETECTOR: 'local',
      MEDIAGATE_OCR: 'tesseract',
      MEDIAGATE_TRANSCRIBER: 'none',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      MEDIAGATE_TIME_SCALE: String(timeScale),
      // `mediagate tenants set` from another process reaches the next item within a second; callers with
      // no principal (`mediagate run`) may name their tenant, as an unsigned local request cannot be bound.
      MEDIAGATE_TENANT_CACHE_MS: '1000',
      MEDIAGATE_TENANT_BINDING: 'optional',
      // No KMS locally: audit chain heads are signed with a P-256 key kept next to the state (docs/audit.md).
      MEDIAGATE_AUDIT_LOCAL_KEY_FILE: path.join(stateDir, 'audit-signing-key.pem'),
      ...(simulator ? { OPENAI_API_KEY: 'sk-local-simulator', OPENAI_BASE_URL: simulator.baseUrl } : {}),
      ...options.environment,
    };
    // There is no Secrets Manager locally: the key comes from the environment (or the simulator).
    delete environment.OPENAI_API_KEY_SECRET_ARN;
    delete environment.AUDIT_SIGNING_KEY_ID;
    Object.assign(process.env, environment);

    const stepFunctions = await startLocalStepFunctions({
      definition,
      expressDefinition,
      loadHandler: (step) => loadHandler(step, instance),
      eventBridge: { endpoint: events.endpoint, credentials: LOCAL_CREDENTIALS },
      registryFile: path.join(stateDir, 'executions.json'),
      timeScale,
    });
    closers.push(() => stepFunctions.close());
    environment.AWS_ENDPOINT_URL_SFN = stepFunctions.endpoint;
    environment.STATE_MACHINE_ARN = stepFunctions.stateMachineArn;
    environment.EXPRESS_STATE_MACHINE_ARN = stepFunctions.expressStateMachineArn;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
      STATE_MACHINE_ARN: stepFunctions.stateMachineArn,
      EXPRESS_STATE_MACHINE_ARN: stepFunctions.expressStateMachineArn,
    });

    const starter = await loadHandler<(event: SQSEvent) => Promise<SQSBatchResponse>>(
      'start-execution',
      instance,
    );
    const presigner = await startFunctionUrl(
      await loadHandler<Parameters<typeof startFunctionUrl>[0]>('presign-upload', instance),
    );
    closers.push(() => presigner.close());
    environment.PRESIGN_URL = presigner.url;
    process.env.PRESIGN_URL = presigner.url;
    const analyzer = await startFunctionUrl(
      await loadHandler<Parameters<typeof startFunctionUrl>[0]>('analyze', instance),
      { port: options.analyzePort },
    );
    closers.push(() => analyzer.close());

    const deadLetters = path.join(stateDir, 'dead-letters.jsonl');
    const rulePattern = ingestRulePattern(template);
    const deliverObjectEvent = async (event: S3ObjectCreatedEvent) => {
      if (!matchesEventPattern(event, rulePattern)) return;
      // The SQS leg: redelivered on failure, parked in a dead-letter file after maxReceiveCount.
      for (let receive = 1; receive <= 5; receive += 1) {
        const messageId = randomUUID();
        const batch = { Records: [{ messageId, body: JSON.stringify(event) }] } as unknown as SQSEvent;
        const response = await starter(batch).catch(() => ({
          batchItemFailures: [{ itemIdentifier: messageId }],
        }));
        if (response.batchItemFailures.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 200 * receive));
      }
      fs.appendFileSync(deadLetters, `${JSON.stringify(event)}\n`);
    };
    const inFlight = new Set<Promise<void>>();
    deliver = (event) => {
      const delivery = deliverObjectEvent(event).finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    };
    for (const event of objectEvents.splice(0)) deliver(event);

    // The template's schedules: the `rate(…)` ones (audit chainer, reservation sweeper) tick on the
    // rehearsal clock; all of them run, shortest period first, on demand and when the stack stops. One
    // run of a step at a time, as their reserved concurrency of 1 allows in AWS.
    const schedules = scheduledSteps(template).map((schedule) => {
      // Loaded on its first run: the daily signer, for one, runs only when the stack stops.
      const handler = onFirstUse(() => loadHandler<() => Promise<unknown>>(schedule.step, instance));
      let running: Promise<unknown> = Promise.resolve();
      const once = () => {
        const next = running.then(async () => (await handler())());
        running = next.catch(() => undefined);
        return next;
      };
      return { ...schedule, once, idle: () => running };
    });
    for (const schedule of schedules) {
      if (!schedule.everyMs) continue;
      const periodMs = localPeriodMs(schedule.everyMs, timeScale);
      let due = false;
      let stopped = false;
      const timer = setInterval(() => {
        if (due) return;
        due = true;
        void whenStepsQuiet(stepFunctions, periodMs)
          .then(() => (stopped ? undefined : schedule.once()))
          .catch(() => undefined)
          .finally(() => {
            due = false;
          });
      }, periodMs);
      timer.unref();
      closers.push(async () => {
        clearInterval(timer);
        stopped = true;
        await schedule.idle();
      });
    }
    const runSchedules = async () => {
      for (const schedule of schedules) await schedule.once();
    };
    const chainer = schedules.find((schedule) => schedule.step === 'chain-audit');
    if (!chainer) throw new Error('the template schedules no chain-audit function');

    return {
      stateDir,
      template,
      endpoints: {
        s3: s3.endpoint,
        dynamodb: dynamo.endpoint,
        sfn: stepFunctions.endpoint,
        eventbridge: events.endpoint,
        presign: presigner.url,
        analyze: analyzer.url,
        openai: simulator?.baseUrl ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
      },
      environment,
      simulator,
      events,
      stepFunctions,
      deliverObjectEvent,
      runSchedules,
      chainAudit: async () => {
        await chainer.once();
      },
      waitForOutcome: (key, timeoutMs = 120_000) => waitForOutcome(events, key, timeoutMs),
      async stop() {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        await stepFunctions.idle();
        // Each stop stands in for the daily schedule, so what a command appended is signed when it ends.
        try {
          await runSchedules();
        } finally {
          await stopAll();
        }
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Imports functions/<step>/handler.ts: the same module esbuild bundles for Lambda. Handlers read their
 * configuration once at module scope (as in Lambda), so each stack loads its own instance of them.
 */
async function loadHandler<T>(step: string, instance: number): Promise<T> {
  if (!/^[a-z][a-z-]*$/.test(step)) throw new Error(`not a step folder: ${step}`);
  const file = pathToFileURL(path.join(import.meta.dirname, '..', '..', 'functions', step, 'handler.ts'));
  file.searchParams.set('stack', String(instance));
  const module = (await import(/* @vite-ignore */ file.href)) as { handler: T };
  return module.handler;
}

/** Creates the template's tables (keys, indexes, TTL) on the local DynamoDB; tables that exist are kept. */
export async function createTables(template: CfnTemplate, endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
  for (const table of tableDefinitions(template)) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table.TableName,
          KeySchema: table.KeySchema,
          AttributeDefinitions: table.AttributeDefinitions,
          GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      if (table.TimeToLiveAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: table.TableName,
            TimeToLiveSpecification: { AttributeName: table.TimeToLiveAttribute, Enabled: true },
          }),
        );
      }
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  client.destroy();
}

/**
 * How often the local stack runs a `rate(…)` schedule: on the rehearsal clock, but not more often than every
 * few seconds of real time. The clock compresses waiting (breakers, parked items, reservations), and the
 * housekeeping runs that follow it (audit chainer, reservation sweeper) gain nothing from ticking faster;
 * on one laptop each tick only takes CPU from the items in flight. `runSchedules` and `chainAudit` run
 * them at once when asked.
 */
export function localPeriodMs(everyMs: number, timeScale: number): number {
  return Math.max(compressMs(everyMs, timeScale), Math.min(everyMs, 5_000));
}

/** How long no step may have started or ended for the steps to count as quiet. */
export const QUIET_MS = 100;

/**
 * Resolves once no step has run for QUIET_MS, or after `maxWaitMs` at the latest. In AWS the housekeeping
 * functions run on compute of their own; on one laptop a tick would take the CPU of the items in flight,
 * so it waits for a lull, and at most one more period (a schedule's own lag in AWS is its period).
 */
export async function whenStepsQuiet(
  stepFunctions: Pick<LocalStepFunctions, 'taskActivity'>,
  maxWaitMs: number,
): Promise<void> {
  const deadline = performance.now() + maxWaitMs;
  for (;;) {
    const { running, lastAt } = stepFunctions.taskActivity();
    const now = performance.now();
    if (now >= deadline || (running === 0 && now - lastAt >= QUIET_MS)) return;
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS / 4).unref());
  }
}

function ingestRulePattern(template: CfnTemplate): unknown {
  const rules = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Events::Rule');
  const rule = rules.find((candidate) =>
    JSON.stringify(candidate.Properties?.EventPattern ?? {}).includes('Object Created'),
  );
  if (!rule) throw new Error('the template has no rule for S3 Object Created events');
  return resolveIntrinsics(rule.Properties?.EventPattern, template);
}

function waitForOutcome(events: LocalEventBus, key: string, timeoutMs: number): Promise<RecordedEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopListening();
      reject(new Error(`no outcome for ${key} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stopListening = events.onEvent((event) => {
      if (event.source === 'mediagate' && (event.detail as { key?: string }).key === key) {
        clearTimeout(timer);
        stopListening();
        resolve(event);
      }
    });
  });
}
