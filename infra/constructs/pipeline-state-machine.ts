import { Duration, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
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
import { OUTCOME_DETAIL_TYPES, OUTCOME_SOURCE } from '../../functions/pipeline/document.js';

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
  readonly logKey: IKey;
  /**
   * How long an item may stay parked while the model is unavailable (the breaker is open or the retry
   * budget ran out) before it ends as failed.
   * @default Duration.hours(2)
   */
  readonly modelOutagePatience?: Duration;
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
 * ValidateAndStrip → Preprocess → DlpCheck → InvokeModel → RecordCost, then one outcome event.
 * Each step returns the whole pipeline document; a user's bad input is a value (`status: rejected`)
 * routed by a Choice, not a failed execution. Only outages and bugs reach the Catch.
 */
export class PipelineStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
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
        new Fail(this, 'Failed', {
          error: 'MediagateStepFailed',
          cause: 'A pipeline step failed; see the Media Failed event.',
        }),
      ),
    );

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
      return task;
    };

    const validate = step('ValidateAndStrip', props.steps.validateAndStrip, Duration.minutes(2));
    const preprocess = step('Preprocess', props.steps.preprocess, Duration.minutes(3));
    const dlp = step('DlpCheck', props.steps.dlpCheck, Duration.minutes(3));
    // A Transcribe job still running: wait here (no Lambda time) and look again; ~17 min in all.
    dlp.addRetry({
      errors: ['TranscriptionPending'],
      interval: Duration.seconds(15),
      backoffRate: 1.5,
      maxDelay: Duration.minutes(2),
      maxAttempts: 12,
    });
    const invoke = step('InvokeModel', props.steps.invokeModel, Duration.minutes(3));
    // Parking: while the model is unavailable the execution waits here, costing no Lambda time.
    invoke.addRetry({
      errors: ['ModelUnavailable'],
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxDelay: Duration.minutes(10),
      maxAttempts: parkAttempts(patience),
    });
    const record = step('RecordCost', props.steps.recordCost, Duration.minutes(1));

    for (const task of [validate, preprocess, dlp, invoke, record]) {
      task.addCatch(markFailed, { errors: ['States.ALL'], resultPath: '$.failure' });
    }

    const continueUnlessRejected = (name: string, next: State) =>
      new Choice(this, name)
        .when(Condition.stringEquals('$.status', 'in_progress'), next)
        .otherwise(publishRejected);

    validate.next(continueUnlessRejected('AfterValidateAndStrip', preprocess));
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
      encryptionKey: props.logKey,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(validate),
      tracingEnabled: true,
      timeout: patience.plus(Duration.minutes(30)),
      // Execution data would put the pipeline document into logs; it holds no PII, but keeping it out
      // means a future field cannot leak by accident.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray tracing accept only "*" as resource.',
      });
    }
  }
}

/** Attempts of a doubling retry (30 s first, capped at 10 min) that fit in the patience window. */
function parkAttempts(patience: Duration): number {
  let waited = 0;
  let attempts = 0;
  let interval = 30;
  while (waited + interval <= patience.toSeconds() && attempts < 99) {
    waited += interval;
    attempts += 1;
    interval = Math.min(interval * 2, 600);
  }
  return attempts;
}
