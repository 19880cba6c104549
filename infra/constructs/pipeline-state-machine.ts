import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type CfnStateMachine,
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  type State,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { EventBridgePutEvents, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DEFAULT_BREAKER_POLICY } from '../../functions/model/breaker.js';
import {
  ADMISSION_DEFERRALS,
  OUTCOME_DETAIL_TYPES,
  OUTCOME_SOURCE,
  RESUMABLE_STEP,
  UNAVAILABLE_NOW_REASONS,
} from '../../functions/pipeline/document.js';

export interface PipelineSteps {
  readonly validateAndStrip: IFunction;
  readonly preprocess: IFunction;
  readonly dlpCheck: IFunction;
  readonly invokeModel: IFunction;
  readonly recordCost: IFunction;
}

export interface PipelineStateMachineProps {
  readonly steps: PipelineSteps;
  readonly outcomeBus: IEventBus;
  /**
   * Encrypts the execution history (it carries the pipeline document, whose instructions are the user's
   * words) and the log group, instead of an AWS-owned key.
   */
  readonly encryptionKey: IKey;
  /**
   * How long an item may stay parked while the model is unavailable (the breaker is open or the retry
   * budget ran out) before it ends as failed.
   * @default Duration.hours(2)
   */
  readonly modelOutagePatience?: Duration;
  /**
   * `standard`: the asynchronous pipeline behind uploads; it parks items through outages and waits for
   * Transcribe. `express`: the same steps for `POST /v1/analyze` (StartSyncExecution), which must answer
   * within a request: nothing parks; an unavailable model or a pending transcription ends the item at once
   * with a reason the API turns into `503`, and every outcome ends in a `Succeed` that returns the document.
   * @default 'standard'
   */
  readonly workflow?: 'standard' | 'express';
}

/** Errors a step throws for outages of S3/DynamoDB/Comprehend that are worth trying again. */
const TRANSIENT_ERRORS = [
  'MediagateTransient',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalServerError',
  'TimeoutError',
];

/**
 * Lambda throttling (every function has reserved concurrency): retryOnServiceExceptions does not cover
 * it. A burst of uploads waits for a free slot instead of failing.
 */
const THROTTLED = 'Lambda.TooManyRequestsException';

/**
 * ValidateAndStrip → Preprocess → DlpCheck → InvokeModel → RecordCost, then one outcome event.
 * Each step returns the whole pipeline document; a user's bad input is a value (`status: rejected`)
 * routed by a Choice, not a failed execution. Only outages and bugs reach the Catch.
 */
export class PipelineStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const express = props.workflow === 'express';
    const patience = props.modelOutagePatience ?? Duration.hours(2);
    if (patience.toMinutes() < 5) throw new Error('modelOutagePatience must be at least 5 minutes');

    const publish = (name: string, detailType: string) =>
      new EventBridgePutEvents(this, name, {
        entries: [
          {
            eventBus: props.outcomeBus,
            source: OUTCOME_SOURCE,
            detailType,
            detail: TaskInput.fromJsonPathAt('$'),
          },
        ],
        resultPath: JsonPath.DISCARD,
      }).addRetry({
        errors: ['EventBridge.EventBridgeException', 'States.TaskFailed'],
        interval: Duration.seconds(2),
        maxAttempts: 5,
        backoffRate: 2,
      });

    const publishProcessed = publish('PublishProcessed', OUTCOME_DETAIL_TYPES.processed).next(
      new Succeed(this, 'Processed'),
    );
    const publishRejected = publish('PublishRejected', OUTCOME_DETAIL_TYPES.rejected).next(
      new Succeed(this, 'Rejected'),
    );
    const markFailed = new Pass(this, 'MarkFailed', {
      comment: 'Keeps the document and the Catch output ($.failure); the outcome event says why it broke.',
      result: Result.fromString('failed'),
      resultPath: '$.status',
    });
    markFailed.next(
      publish('PublishFailed', OUTCOME_DETAIL_TYPES.failed).next(
        express
          ? // The caller is waiting for the document: its status and reason become the HTTP answer.
            new Succeed(this, 'Failed', { comment: 'The document says failed; the API maps its reason.' })
          : new Fail(this, 'Failed', {
              error: 'MediagateStepFailed',
              cause: 'A pipeline step failed; see the Media Failed event.',
            }),
      ),
    );
    // An outage that outlasted the patience, or an exhausted quota, loses nothing: the item fails with a
    // stable reason and says where `mediagate redrive` resumes it (the steps before it are done and paid).
    // A synchronous request is not redriven: its caller gets the answer and tries again.
    const afterOutage = express
      ? markFailed
      : new Pass(this, 'MarkRedrivable', {
          comment: 'The Media Failed event tells operators this item can be redriven, and from which step.',
          result: Result.fromObject({ redrivable: true, resumeAt: RESUMABLE_STEP }),
          resultPath: '$.redrive',
        }).next(markFailed);
    const markQuota = new Pass(this, 'MarkQuotaExhausted', {
      result: Result.fromString('MODEL_QUOTA_EXHAUSTED'),
      resultPath: '$.reason',
    }).next(afterOutage);

    const step = (name: string, fn: IFunction, timeout: Duration) => {
      const task = new LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        taskTimeout: Timeout.duration(timeout),
        retryOnServiceExceptions: true,
      });
      task.addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(1),
        maxAttempts: 3,
        backoffRate: 2,
      });
      // Standard: up to ~10 min of waiting for capacity; Express: what fits in the caller's request.
      task.addRetry({
        errors: [THROTTLED],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxDelay: Duration.seconds(express ? 8 : 120),
        maxAttempts: express ? 4 : 10,
        jitterStrategy: JitterType.FULL,
      });
      return task;
    };

    const validate = step('ValidateAndStrip', props.steps.validateAndStrip, Duration.minutes(2));
    const preprocess = step('Preprocess', props.steps.preprocess, Duration.minutes(3));
    const dlp = step('DlpCheck', props.steps.dlpCheck, Duration.minutes(3));
    const unavailableNow = (name: string, reason: string) =>
      new Pass(this, name, { result: Result.fromString(reason), resultPath: '$.reason' }).next(markFailed);
    if (express) {
      dlp.addCatch(unavailableNow('MarkTranscriptionPending', UNAVAILABLE_NOW_REASONS.transcription), {
        errors: ['TranscriptionPending'],
        resultPath: '$.failure',
      });
    } else {
      // A Transcribe job still running: wait here (no Lambda time) and look again; ~17 min in all.
      dlp.addRetry({
        errors: ['TranscriptionPending'],
        interval: Duration.seconds(15),
        backoffRate: 1.5,
        maxDelay: Duration.minutes(2),
        maxAttempts: 12,
      });
    }
    const invoke = step('InvokeModel', props.steps.invokeModel, Duration.minutes(3));
    // Parking: while the model is unavailable the execution waits here, costing no Lambda time. Waits
    // grow to the breaker's longest cool-down and no further, so every cool-down that ends meets a parked
    // item ready to probe: a long outage is tried as often as the breaker allows, not ten times in all.
    if (express) {
      invoke.addCatch(unavailableNow('MarkModelUnavailable', UNAVAILABLE_NOW_REASONS.model), {
        errors: ['ModelUnavailable'],
        resultPath: '$.failure',
      });
    } else {
      invoke.addRetry({
        errors: ['ModelUnavailable'],
        interval: Duration.seconds(PARK_FIRST_WAIT_SECONDS),
        backoffRate: PARK_BACKOFF_RATE,
        maxDelay: Duration.seconds(PARK_LONGEST_WAIT_SECONDS),
        maxAttempts: parkAttempts(patience),
      });
      // Built only here: a state nothing reaches makes the whole definition invalid.
      const markOutage = new Pass(this, 'MarkOutage', {
        result: Result.fromString('MODEL_OUTAGE'),
        resultPath: '$.reason',
      }).next(afterOutage);
      invoke.addCatch(markOutage, { errors: ['ModelUnavailable'], resultPath: '$.failure' });
    }
    // Admission: the tenant's (or the organisation's) rate limit is spent, or other items' open budget
    // reservations fill the cap. Not the item's fault and not an outage: it waits, parked the same way, at
    // shorter intervals (a rate limit refills within a minute), and is never rejected for it.
    for (const [error, reason] of Object.entries(ADMISSION_DEFERRALS)) {
      if (express) {
        invoke.addCatch(unavailableNow(`Mark${error}`, reason), { errors: [error], resultPath: '$.failure' });
        continue;
      }
      invoke.addRetry({
        errors: [error],
        interval: Duration.seconds(ADMISSION_FIRST_WAIT_SECONDS),
        backoffRate: PARK_BACKOFF_RATE,
        maxDelay: Duration.seconds(ADMISSION_LONGEST_WAIT_SECONDS),
        maxAttempts: parkAttempts(patience, ADMISSION_FIRST_WAIT_SECONDS, ADMISSION_LONGEST_WAIT_SECONDS),
      });
      const markWaitedTooLong = new Pass(this, `Mark${error}`, {
        result: Result.fromString(reason),
        resultPath: '$.reason',
      }).next(afterOutage);
      invoke.addCatch(markWaitedTooLong, { errors: [error], resultPath: '$.failure' });
    }
    invoke.addCatch(markQuota, { errors: ['MODEL_QUOTA_EXHAUSTED'], resultPath: '$.failure' });
    const record = step('RecordCost', props.steps.recordCost, Duration.minutes(1));

    for (const task of [validate, preprocess, dlp, invoke, record]) {
      task.addCatch(markFailed, { errors: ['States.ALL'], resultPath: '$.failure' });
    }

    const continueUnlessRejected = (name: string, next: State) =>
      new Choice(this, name)
        .when(Condition.stringEquals('$.status', 'in_progress'), next)
        .otherwise(publishRejected);

    // A redriven item starts where it stopped; every other item starts at the beginning.
    const start = new Choice(this, 'ResumeOrStart')
      // isPresent first: a Choice on a path the input lacks is a runtime error, not a false.
      .when(
        Condition.and(
          Condition.isPresent('$.resumeAt'),
          Condition.stringEquals('$.resumeAt', RESUMABLE_STEP),
        ),
        invoke,
      )
      .otherwise(validate);

    validate.next(
      new Choice(this, 'AfterValidateAndStrip')
        // Answered from the result cache: no resizing, DLP or model; RecordCost writes the hit at zero cost.
        .when(
          Condition.and(Condition.stringEquals('$.status', 'in_progress'), Condition.isPresent('$.model')),
          record,
        )
        .when(Condition.stringEquals('$.status', 'in_progress'), preprocess)
        .otherwise(publishRejected),
    );
    preprocess.next(continueUnlessRejected('AfterPreprocess', dlp));
    dlp.next(continueUnlessRejected('AfterDlpCheck', invoke));
    invoke.next(
      new Choice(this, 'AfterInvokeModel')
        .when(Condition.stringEquals('$.status', 'in_progress'), record)
        // Rejected after a billed call (a refusal, an off-schema answer): charged first, then rejected.
        .when(
          Condition.and(Condition.stringEquals('$.status', 'rejected'), Condition.isPresent('$.model')),
          record,
        )
        .otherwise(publishRejected),
    );
    record.next(
      new Choice(this, 'AfterRecordCost')
        .when(Condition.stringEquals('$.status', 'rejected'), publishRejected)
        .otherwise(publishProcessed),
    );

    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      encryptionKey: props.encryptionKey,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: express ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(start),
      tracingEnabled: true,
      // Express: a synchronous request; Standard: the whole park patience and the steps around it.
      timeout: express ? Duration.minutes(2) : patience.plus(Duration.minutes(30)),
      // Execution data would put the pipeline document into logs; it holds no PII, but keeping it out
      // means a future field cannot leak by accident.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    this.encryptionKey = props.encryptionKey;
    this.encryptWithKey(props.encryptionKey);
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray tracing accept only "*" as resource.',
      });
    }
  }

  /**
   * Lets `grantee` start executions of this encrypted workflow and read their results: Step Functions
   * encrypts the input and decrypts the output with the caller's permissions on the key.
   */
  grantKeyUse(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(this.keyUseStatement(['kms:Decrypt', 'kms:GenerateDataKey']));
  }

  /**
   * The CDK helper (CustomerManagedEncryptionConfiguration) lets the log-delivery service decrypt with the
   * key under no condition; here every use is tied to this account's state machines and log deliveries.
   */
  private encryptWithKey(key: IKey): void {
    const stack = Stack.of(this);
    (this.stateMachine.node.defaultChild as CfnStateMachine).encryptionConfiguration = {
      type: 'CUSTOMER_MANAGED_KMS_KEY',
      kmsKeyId: key.keyArn,
      kmsDataKeyReusePeriodSeconds: 300,
    };
    this.stateMachine.addToRolePolicy(this.keyUseStatement(['kms:Decrypt', 'kms:GenerateDataKey']));
    const logDeliveries = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*`;
    // Execution logs go to a log group encrypted with the same key.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { ArnLike: { 'kms:EncryptionContext:SourceArn': logDeliveries } },
      }),
    );
    key.addToResourcePolicy(
      new PolicyStatement({
        // One sid for both workflows: CDK keeps one copy of identical statements.
        sid: 'StepFunctionsLogDeliveryOfThisAccount',
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': logDeliveries },
        },
      }),
    );
  }

  private keyUseStatement(actions: string[]): PolicyStatement {
    const stack = Stack.of(this);
    return new PolicyStatement({
      actions,
      resources: [this.encryptionKey.keyArn],
      conditions: {
        // Not this machine's own ARN: the role's policy would then depend on the machine that depends on it.
        ArnLike: {
          'kms:EncryptionContext:aws:states:stateMachineArn': `arn:${stack.partition}:states:${stack.region}:${stack.account}:stateMachine:*`,
        },
      },
    });
  }
}

const PARK_FIRST_WAIT_SECONDS = 30;
const PARK_BACKOFF_RATE = 1.5;
/** The breaker's longest cool-down: a parked item never sleeps through a chance to probe. */
const PARK_LONGEST_WAIT_SECONDS = DEFAULT_BREAKER_POLICY.maxCoolDownMs / 1000;

const ADMISSION_FIRST_WAIT_SECONDS = 5;
/** A per-minute limit refills within a minute: a waiting item looks again at least that often. */
const ADMISSION_LONGEST_WAIT_SECONDS = 60;

/** Attempts of a park retry (30 s first, growing 1.5x to 5 min by default) that fit in the patience window. */
export function parkAttempts(
  patience: Duration,
  firstWaitSeconds = PARK_FIRST_WAIT_SECONDS,
  longestWaitSeconds = PARK_LONGEST_WAIT_SECONDS,
): number {
  let waited = 0;
  let attempts = 0;
  let interval = firstWaitSeconds;
  while (waited + interval <= patience.toSeconds() && attempts < 999) {
    waited += interval;
    attempts += 1;
    interval = Math.min(interval * PARK_BACKOFF_RATE, longestWaitSeconds);
  }
  return attempts;
}
