/**
 * Local Step Functions: aws-local-stepfunctions runs the ASL extracted from the synthesized template, with
 * each Lambda task mapped to its handler module in this process, and the EventBridge tasks sent to the
 * local bus through the real SDK client. It is reached through the real SFN SDK client (StartExecution,
 * DescribeExecution, ListExecutions), with Step Functions' name rule: one execution per name.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StateMachine } from 'aws-local-stepfunctions';
import { AwsJsonError, startAwsJsonServer } from './aws-json-server.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalDefinition } from './template.js';

type Handler = (input: unknown) => Promise<unknown>;

export interface ExecutionRecord {
  name: string;
  executionArn: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: string;
  stopDate?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The states entered, retried and caught, in order (what GetExecutionHistory shows in AWS). */
  history: HistoryEntry[];
}

export interface HistoryEntry {
  readonly type: string;
  readonly state: string;
  /** For `StateEntered`: the state's type (Task, Pass, Choice…) and its input, as AWS's history has them. */
  readonly stateType?: string;
  readonly input?: string;
  readonly at?: string;
}

export interface LocalStepFunctions {
  readonly endpoint: string;
  readonly stateMachineArn: string;
  readonly expressStateMachineArn: string;
  /** Resolves when every execution started so far has stopped. */
  idle(): Promise<void>;
  /**
   * The handlers running now, and when (`performance.now()`) one last started or ended: how busy the
   * steps keep this process (a parked execution waiting out a breaker runs none).
   */
  taskActivity(): { readonly running: number; readonly lastAt: number };
  /** The definition it runs (the test of "same ASL as the template" reads it). */
  readonly definition: LocalDefinition;
  execution(name: string): ExecutionRecord | undefined;
  close(): Promise<void>;
}

export interface LocalStepFunctionsOptions {
  readonly definition: LocalDefinition;
  /** Loads the handler for a functions/<step> folder (imported only after the environment is set). */
  readonly loadHandler: (step: string) => Promise<Handler>;
  readonly eventBridge: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** The Express definition (`POST /v1/analyze`), run by StartSyncExecution. */
  readonly expressDefinition?: LocalDefinition;
  /** JSON file that keeps executions across runs (names stay taken, as in AWS). */
  readonly registryFile: string;
  /**
   * Rehearsal clock: every Retry interval and max delay of the ASL is divided by it, so parking, transient
   * retries and transcription polling keep their shape (back-off, caps, attempt counts) and run faster.
   * The handlers get the same factor through MEDIAGATE_TIME_SCALE. @default 1
   */
  readonly timeScale?: number;
}

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

/** The definition with every retrier's waits divided by `scale` (counts and back-off rates unchanged). */
export function compressRetries<T extends { States: Record<string, { Retry?: unknown }> }>(
  definition: T,
  scale: number,
): T {
  const copy = structuredClone(definition);
  if (scale === 1) return copy;
  for (const state of Object.values(copy.States)) {
    const retriers = (state.Retry ?? []) as Retrier[];
    state.Retry = retriers.map((retrier) => ({
      ...retrier,
      // ASL's default interval is 1 s; keep the default explicit so it is compressed too.
      IntervalSeconds: (retrier.IntervalSeconds ?? 1) / scale,
      ...(retrier.MaxDelaySeconds !== undefined ? { MaxDelaySeconds: retrier.MaxDelaySeconds / scale } : {}),
    }));
  }
  return copy;
}

/** Seconds a model outage may park an item before it fails: the ModelUnavailable retrier's waits, summed. */
export function parkPatienceSeconds(definition: { States: Record<string, { Retry?: unknown }> }): number {
  for (const state of Object.values(definition.States)) {
    const retrier = ((state.Retry ?? []) as Retrier[]).find((r) =>
      r.ErrorEquals.includes('ModelUnavailable'),
    );
    if (!retrier) continue;
    let total = 0;
    for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt++) {
      const wait = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
      total += Math.min(wait, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
    }
    return total;
  }
  return 0;
}

const STATE_MACHINE_NAME = 'MediagatePipeline';
const EXPRESS_STATE_MACHINE_NAME = 'MediagateRealtimePipeline';

/**
 * The runnable machine for a definition: the template's definition is validated as it is; the compressed
 * copy has fractional intervals, which ASL's schema (whole seconds) refuses, so only the copy skips
 * validation. The library fills in defaults on the object it is given, so it gets copies.
 */
function runnableMachine(definition: LocalDefinition, timeScale: number): StateMachine {
  new StateMachine(structuredClone(definition.definition) as never, {
    validationOptions: { checkPaths: true, checkArn: false },
  });
  return new StateMachine(compressRetries(definition.definition, timeScale) as never, {
    validationOptions: { noValidate: true },
  });
}

export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<LocalStepFunctions> {
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
  const expressStateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${EXPRESS_STATE_MACHINE_NAME}`;
  const machine = runnableMachine(options.definition, options.timeScale ?? 1);
  const expressMachine = options.expressDefinition
    ? runnableMachine(options.expressDefinition, options.timeScale ?? 1)
    : undefined;
  const events = new EventBridgeClient({
    region: LOCAL_REGION,
    endpoint: options.eventBridge.endpoint,
    credentials: options.eventBridge.credentials,
  });
  const registry = loadRegistry(options.registryFile);
  const save = () => fs.writeFileSync(options.registryFile, JSON.stringify([...registry.values()], null, 1));
  const running = new Set<Promise<void>>();

  // Both machines run the same steps; a state's handler is found by its name in either definition.
  const handlers: Record<string, Handler> = {};
  const activity = { running: 0, lastAt: 0 };
  const bindings = { ...options.expressDefinition?.tasks, ...options.definition.tasks };
  for (const [stateName, binding] of Object.entries(bindings)) {
    if (binding.kind === 'putEvents') {
      handlers[stateName] = async (input) => {
        const entries = (
          input as {
            Entries: { Detail: unknown; DetailType: string; Source: string; EventBusName: string }[];
          }
        ).Entries;
        const response = await events.send(
          new PutEventsCommand({
            Entries: entries.map((entry) => ({
              Detail: JSON.stringify(entry.Detail),
              DetailType: entry.DetailType,
              Source: entry.Source,
              EventBusName: entry.EventBusName,
            })),
          }),
        );
        return response;
      };
    } else {
      const handler = await options.loadHandler(binding.step);
      handlers[stateName] = async (input) => {
        activity.running += 1;
        activity.lastAt = performance.now();
        try {
          return await handler(structuredClone(input));
        } finally {
          activity.running -= 1;
          activity.lastAt = performance.now();
        }
      };
    }
  }

  const run = (record: ExecutionRecord) => {
    const execution = machine.run(JSON.parse(record.input), {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          StartTime: record.startDate,
          Input: JSON.parse(record.input),
        },
        StateMachine: { Id: stateMachineArn, Name: STATE_MACHINE_NAME },
      } as never,
    });
    record.history = [];
    const recordHistory = (async () => {
      for await (const event of execution.eventLogs) {
        const data = (event as { state?: { name?: string; type?: string; input?: unknown } }).state;
        const state = data?.name;
        if (state && ['StateEntered', 'StateRetried', 'StateCaught', 'StateFailed'].includes(event.type)) {
          const at = new Date().toISOString();
          record.history.push(
            event.type === 'StateEntered'
              ? {
                  type: event.type,
                  state,
                  stateType: data.type,
                  input: JSON.stringify(data.input ?? null),
                  at,
                }
              : { type: event.type, state, at },
          );
        }
      }
    })();
    const done = Promise.all([execution.result, recordHistory.catch(() => undefined)])
      .then(([output]) => output)
      .then((output) => {
        Object.assign(record, { status: 'SUCCEEDED', output: JSON.stringify(output) });
      })
      .catch((error: unknown) => {
        const failure = error as {
          cause?: { name?: string; message?: string };
          name?: string;
          message?: string;
        };
        Object.assign(record, {
          status: 'FAILED',
          error: failure.cause?.name ?? failure.name ?? 'Error',
          cause: failure.cause?.message ?? failure.message ?? '',
        });
      })
      .finally(() => {
        record.stopDate = new Date().toISOString();
        save();
        running.delete(done);
      });
    running.add(done);
  };

  // Executions a previous process left running are started again: steps are idempotent by design.
  for (const record of registry.values()) {
    if (record.status === 'RUNNING') run(record);
  }

  /** The execution an ARN names, or AWS's error for one that does not exist. */
  const recordOf = (executionArn: unknown): ExecutionRecord => {
    const record = [...registry.values()].find((candidate) => candidate.executionArn === executionArn);
    if (!record)
      throw new AwsJsonError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(executionArn)}'`);
    return record;
  };

  const server = await startAwsJsonServer({
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    operations: {
      StartExecution: (body) => {
        const name = String(body.name ?? '');
        const input = String(body.input ?? '{}');
        if (body.stateMachineArn !== stateMachineArn) {
          throw new AwsJsonError(
            'StateMachineDoesNotExist',
            `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`,
          );
        }
        if (!/^[0-9A-Za-z_-]{1,80}$/.test(name))
          throw new AwsJsonError('InvalidName', `Invalid Name: '${name}'`);
        const existing = registry.get(name);
        if (existing) {
          // As in AWS: the same name and input while running is idempotent; anything else is refused.
          if (existing.status === 'RUNNING' && existing.input === input) {
            return { executionArn: existing.executionArn, startDate: Date.parse(existing.startDate) / 1000 };
          }
          throw new AwsJsonError(
            'ExecutionAlreadyExists',
            `Execution Already Exists: '${existing.executionArn}'`,
          );
        }
        const record: ExecutionRecord = {
          name,
          executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
          input,
          status: 'RUNNING',
          startDate: new Date().toISOString(),
          history: [],
        };
        registry.set(name, record);
        save();
        run(record);
        return { executionArn: record.executionArn, startDate: Date.parse(record.startDate) / 1000 };
      },
      // Express: runs to the end within the request and answers with the output, as AWS does (no
      // history is kept: Express executions have none to describe).
      StartSyncExecution: async (body) => {
        if (!expressMachine || body.stateMachineArn !== expressStateMachineArn) {
          throw new AwsJsonError(
            'StateMachineDoesNotExist',
            `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`,
          );
        }
        const name = String(body.name ?? randomUUID());
        const executionArn = `${expressStateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`;
        const startDate = Date.now() / 1000;
        const execution = expressMachine.run(JSON.parse(String(body.input ?? '{}')), {
          overrides: { taskResourceLocalHandlers: handlers as never },
          context: {
            Execution: { Id: executionArn, Name: name, StartTime: new Date().toISOString() },
            StateMachine: { Id: expressStateMachineArn, Name: EXPRESS_STATE_MACHINE_NAME },
          } as never,
        });
        try {
          const output = await execution.result;
          return {
            executionArn,
            stateMachineArn: expressStateMachineArn,
            name,
            startDate,
            stopDate: Date.now() / 1000,
            status: 'SUCCEEDED',
            output: JSON.stringify(output),
          };
        } catch (error) {
          const failure = error as {
            cause?: { name?: string; message?: string };
            name?: string;
            message?: string;
          };
          return {
            executionArn,
            stateMachineArn: expressStateMachineArn,
            name,
            startDate,
            stopDate: Date.now() / 1000,
            status: 'FAILED',
            error: failure.cause?.name ?? failure.name ?? 'Error',
            cause: failure.cause?.message ?? failure.message ?? '',
          };
        }
      },
      DescribeExecution: (body) => {
        const record = recordOf(body.executionArn);
        return { ...describe(record), stateMachineArn };
      },
      ListExecutions: (body) => ({
        executions: [...registry.values()]
          .filter((record) => !body.statusFilter || record.status === body.statusFilter)
          .map((record) => ({ ...describe(record), stateMachineArn })),
      }),
      // The entered-state events with their inputs, in AWS's shape (`<Type>StateEntered`); enough to find
      // the document a failed item held when it failed.
      GetExecutionHistory: (body) => {
        const record = recordOf(body.executionArn);
        const events = record.history
          .filter((entry) => entry.type === 'StateEntered')
          .map((entry, index) => ({
            id: index + 1,
            timestamp: Date.parse(entry.at ?? record.startDate) / 1000,
            type: `${entry.stateType ?? 'Task'}StateEntered`,
            stateEnteredEventDetails: { name: entry.state, input: entry.input ?? '{}' },
          }));
        return { events: body.reverseOrder ? events.reverse() : events };
      },
    },
  });

  return {
    endpoint: server.endpoint,
    stateMachineArn,
    expressStateMachineArn,
    definition: options.definition,
    execution: (name) => registry.get(name),
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    taskActivity: () => ({ ...activity }),
    close: () => server.close(),
  };
}

function describe(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    name: record.name,
    status: record.status,
    startDate: Date.parse(record.startDate) / 1000,
    stopDate: record.stopDate ? Date.parse(record.stopDate) / 1000 : undefined,
    input: record.input,
    output: record.output,
    error: record.error,
    cause: record.cause,
  };
}

function loadRegistry(file: string): Map<string, ExecutionRecord> {
  if (!fs.existsSync(file)) return new Map();
  const records = JSON.parse(fs.readFileSync(file, 'utf8')) as ExecutionRecord[];
  return new Map(records.map((record) => [record.name, record]));
}
