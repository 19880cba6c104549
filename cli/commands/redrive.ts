/**
 * `mediagate redrive`: brings back what an outage failed, charging nothing twice.
 *
 * - Failed executions marked redrivable (`MODEL_OUTAGE`, `MODEL_QUOTA_EXHAUSTED`) start again as a new
 *   execution `<name>-r<N>` whose input is the document they failed with, entering at InvokeModel
 *   (`ResumeOrStart`): the steps before it are not run, or paid for, again. The document keeps its
 *   `executionId`, so every ledger id and the budget reservation id are the ones the first run would
 *   have used: a redriven item is charged once.
 * - Dead-lettered uploads (the starter could not start them) are delivered again; the starter is
 *   idempotent per object version. Locally they are `.mediagate/dead-letters.jsonl`; in AWS the SQS
 *   dead-letter queue is moved back to its source queue (`StartMessageMoveTask`).
 *
 * Each redrive is a decision of its own: it is queued for the tenant's audit chain (docs/audit.md)
 * before its outcome is awaited.
 *
 * One outcome per item, with the fields of `run --json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { redriveDecision } from '../../functions/audit/decisions.js';
import type { DecisionLog } from '../../functions/audit/queue.js';
import { type PipelineState, RESUMABLE_STEP } from '../../functions/pipeline/document.js';
import { executionInputFor } from '../../functions/pipeline/execution-input.js';
import { parseObjectCreated } from '../../functions/start-execution/object-created.js';
import type { S3ObjectCreatedEvent } from '../../infra/local/s3.js';
import { type FileOutcome, summarize } from './run.js';

export interface RedriveFilter {
  readonly tenant?: string;
  /** ISO-8601: only items that failed at or after it. */
  readonly since?: string;
}

export interface RedriveTarget {
  readonly name: string;
  readonly executionArn: string;
  readonly stoppedAt: Date | undefined;
  /** The document the item failed with (the input of the PublishFailed state). */
  readonly document: PipelineState;
}

export interface RedriveOutcome extends FileOutcome {
  /** The execution that ran the redrive, and the one it continues. */
  readonly execution: string;
  readonly redriveOf: string;
}

/** The state that publishes a failure: its input is the failed document. */
const PUBLISH_FAILED_STATE = 'PublishFailed';
const REDRIVE_SUFFIX = /-r(\d+)$/;

/** `mg-…` and its redrives `mg-…-r1`, `mg-…-r2` are one item. */
function itemName(executionName: string): { base: string; attempt: number } {
  const match = REDRIVE_SUFFIX.exec(executionName);
  return match?.[1]
    ? { base: executionName.slice(0, match.index), attempt: Number(match[1]) }
    : { base: executionName, attempt: 0 };
}

async function listExecutions(sfn: SFNClient, stateMachineArn: string) {
  const executions = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return executions;
}

/** The document a failed execution held when it failed, from its history (newest events first). */
export async function failedDocument(
  sfn: SFNClient,
  executionArn: string,
): Promise<PipelineState | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, nextToken, maxResults: 1000 }),
    );
    const entered = (page.events ?? []).find(
      (event: HistoryEvent) => event.stateEnteredEventDetails?.name === PUBLISH_FAILED_STATE,
    );
    if (entered?.stateEnteredEventDetails?.input) {
      return JSON.parse(entered.stateEnteredEventDetails.input) as PipelineState;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/**
 * Items whose latest run failed for a reason a redrive cures; an item already redriven is represented by
 * its latest attempt only, so running `redrive` twice never starts two redrives of one item.
 */
export async function findRedrivable(
  sfn: SFNClient,
  stateMachineArn: string,
  filter: RedriveFilter,
): Promise<RedriveTarget[]> {
  const latest = new Map<string, { attempt: number; execution: ExecutionListItem }>();
  for (const execution of await listExecutions(sfn, stateMachineArn)) {
    if (!execution.name) continue;
    const { base, attempt } = itemName(execution.name);
    const seen = latest.get(base);
    if (!seen || attempt > seen.attempt) latest.set(base, { attempt, execution });
  }
  const since = filter.since ? Date.parse(filter.since) : undefined;
  if (since !== undefined && Number.isNaN(since))
    throw new Error(`--since must be ISO-8601; got ${filter.since}`);
  const targets: RedriveTarget[] = [];
  for (const { execution } of latest.values()) {
    const { name, executionArn, status, stopDate } = execution;
    if (status !== 'FAILED' || !name || !executionArn) continue;
    if (since !== undefined && (!stopDate || stopDate.getTime() < since)) continue;
    const document = await failedDocument(sfn, executionArn);
    if (!document?.redrive?.redrivable) continue;
    if (filter.tenant && document.tenant !== filter.tenant) continue;
    targets.push({ name, executionArn, stoppedAt: stopDate, document });
  }
  return targets.sort((a, b) => a.name.localeCompare(b.name));
}

/** The failed document made ready to enter at InvokeModel again: the failure marks go, the work stays. */
export function resumeInput(target: RedriveTarget): PipelineState {
  const {
    failure: _failure,
    reason: _reason,
    message: _message,
    redrive: _mark,
    ...document
  } = target.document;
  return {
    ...document,
    status: 'in_progress',
    resumeAt: RESUMABLE_STEP,
    redriveOf: target.executionArn,
  };
}

export async function startRedrive(
  sfn: SFNClient,
  stateMachineArn: string,
  target: RedriveTarget,
): Promise<string> {
  const { base, attempt } = itemName(target.name);
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `${base}-r${attempt + 1}`,
      input: JSON.stringify(resumeInput(target)),
    }),
  );
  if (!started.executionArn) throw new Error(`Step Functions started no execution for ${target.name}`);
  return started.executionArn;
}

/** Polls until the execution stops; its document from the output, or from the history when it failed. */
export async function awaitDocument(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs: number,
  pollMs = 250,
): Promise<PipelineState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status === 'SUCCEEDED' && described.output)
      return JSON.parse(described.output) as PipelineState;
    if (described.status && described.status !== 'RUNNING') {
      const document = await failedDocument(sfn, executionArn);
      if (document) return document;
      throw new Error(`${executionArn} ended ${described.status} without a document`);
    }
    if (Date.now() > deadline) throw new Error(`${executionArn} did not finish within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Redrives every target and waits for each outcome. */
export async function redriveExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  filter: RedriveFilter,
  timeoutMs: number,
  audit?: DecisionLog,
): Promise<RedriveOutcome[]> {
  const targets = await findRedrivable(sfn, stateMachineArn, filter);
  return Promise.all(
    targets.map(async (target) => {
      const execution = await startRedrive(sfn, stateMachineArn, target);
      await audit?.append(
        redriveDecision(
          target.document,
          { redriveOf: target.executionArn, execution },
          new Date().toISOString(),
        ),
      );
      const document = await awaitDocument(sfn, execution, timeoutMs);
      return {
        ...summarize(target.document.key, target.document.key, document),
        execution,
        redriveOf: target.executionArn,
      };
    }),
  );
}

/** Dead-lettered S3 events of the local stack that match the filter; they are taken out of the file. */
export function takeLocalDeadLetters(stateDir: string, filter: RedriveFilter): S3ObjectCreatedEvent[] {
  const file = path.join(stateDir, 'dead-letters.jsonl');
  if (!fs.existsSync(file)) return [];
  const events = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as S3ObjectCreatedEvent);
  const since = filter.since ? Date.parse(filter.since) : undefined;
  const matches = (event: S3ObjectCreatedEvent) =>
    (!filter.tenant || event.detail.object.key.startsWith(`incoming/${filter.tenant}/`)) &&
    (since === undefined || Date.parse(event.time) >= since);
  const taken = events.filter(matches);
  // Written back first: a delivery that fails again appends its event anew, so nothing is lost either way.
  fs.writeFileSync(
    file,
    events
      .filter((event) => !matches(event))
      .map((event) => `${JSON.stringify(event)}\n`)
      .join(''),
  );
  return taken;
}

export interface RedriveCommandOptions extends RedriveFilter {
  readonly json: boolean;
  readonly timeoutMs: number;
  /** Local stack only: the rehearsal clock. */
  readonly timeScale?: string;
  /** A deployment instead of the local stack; redrives are audited when its state table is given. */
  readonly aws?: {
    readonly stateMachineArn: string;
    readonly deadLetterQueueArn?: string;
    readonly stateTable?: string;
  };
}

export async function runRedrive(
  options: RedriveCommandOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const outcomes = options.aws
    ? await redriveOnAws(options, options.aws, out)
    : await redriveLocally(options);
  if (options.json) {
    for (const outcome of outcomes) out.write(`${JSON.stringify(outcome)}\n`);
  } else if (outcomes.length === 0) {
    out.write('nothing to redrive\n');
  } else {
    const { renderTable } = await import('./run.js');
    out.write(renderTable(outcomes));
  }
  return outcomes.every((outcome) => outcome.status !== 'failed') ? 0 : 1;
}

async function redriveLocally(options: RedriveCommandOptions): Promise<RedriveOutcome[]> {
  const [{ SFNClient }, { parseTimeScale, startLocalStack }, { LOCAL_CREDENTIALS }, { LOCAL_REGION }] =
    await Promise.all([
      import('@aws-sdk/client-sfn'),
      import('../../infra/local/stack.js'),
      import('../../infra/local/s3.js'),
      import('../../infra/local/template.js'),
    ]);
  const stack = await startLocalStack({ timeScale: parseTimeScale(options.timeScale) });
  try {
    const sfn = new SFNClient({
      region: LOCAL_REGION,
      endpoint: stack.endpoints.sfn,
      credentials: LOCAL_CREDENTIALS,
    });
    const audit = await auditTrailOf(stack.environment);
    const executions = await redriveExecutions(
      sfn,
      stack.stepFunctions.stateMachineArn,
      options,
      options.timeoutMs,
      audit,
    );
    const letters = await Promise.all(
      takeLocalDeadLetters(stack.stateDir, options).map(async (event) => {
        const key = event.detail.object.key;
        const outcome = stack.waitForOutcome(key, options.timeoutMs);
        const object = parseObjectCreated(event);
        const input = object ? executionInputFor(object) : undefined;
        if (input) {
          const document = { ...input, status: 'in_progress' as const, steps: [] };
          const run = { redriveOf: 'dead-letter', execution: input.executionId };
          await audit.append(redriveDecision(document, run, new Date().toISOString()));
        }
        await stack.deliverObjectEvent(event);
        const document = (await outcome).detail as PipelineState;
        return {
          ...summarize(key, key, document),
          execution: document.executionId,
          redriveOf: 'dead-letter',
        };
      }),
    );
    sfn.destroy();
    return [...executions, ...letters];
  } finally {
    await stack.stop();
  }
}

async function redriveOnAws(
  options: RedriveCommandOptions,
  aws: NonNullable<RedriveCommandOptions['aws']>,
  out: NodeJS.WritableStream,
): Promise<RedriveOutcome[]> {
  const [{ SFNClient }, { SQSClient, StartMessageMoveTaskCommand }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-sqs'),
  ]);
  if (aws.deadLetterQueueArn) {
    // SQS moves the messages back to the queue they came from; the starter handles each once.
    const sqs = new SQSClient({});
    const moved = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: aws.deadLetterQueueArn }));
    if (!options.json)
      out.write(`dead-letter queue: moving messages back (task ${moved.TaskHandle ?? '?'})\n`);
    sqs.destroy();
  }
  const sfn = new SFNClient({});
  const audit = aws.stateTable ? await auditTrailOf({ STATE_TABLE: aws.stateTable }) : undefined;
  if (!audit) process.stderr.write('warning: redrives are not audited without --state-table\n');
  try {
    return await redriveExecutions(sfn, aws.stateMachineArn, options, options.timeoutMs, audit);
  } finally {
    sfn.destroy();
  }
}

/** The audit queue the pipeline's steps record into, from their environment (local) or the deployment's names. */
async function auditTrailOf(environment: Readonly<Record<string, string | undefined>>): Promise<DecisionLog> {
  const [{ loadConfig }, { createStepDecisionLog }, { dynamoClient }] = await Promise.all([
    import('../../functions/config/settings.js'),
    import('../../functions/config/adapters.js'),
    import('../../functions/config/clients/dynamodb.js'),
  ]);
  const config = loadConfig({ ...process.env, ...environment });
  return createStepDecisionLog(config, { dynamo: dynamoClient(config) });
}
