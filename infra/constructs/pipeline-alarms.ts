import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IRule } from 'aws-cdk-lib/aws-events';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  METRIC_NAMESPACE,
  METRIC_SERVICE_DIMENSION,
  PIPELINE_METRICS,
} from '../../functions/pipeline/metric-names.js';
import { type AlarmThresholds, concurrencySettingName } from '../stack-settings.js';
import type { MediaFunction } from './media-function.js';

export interface PipelineAlarmsProps {
  /** Every mediagate function: errors and throttles are watched per function. */
  readonly functions: readonly MediaFunction[];
  readonly standardWorkflow: IStateMachine;
  readonly expressWorkflow: IStateMachine;
  /** Dead-letter queues by what they hold, e.g. { Uploads: …, MacieFindings: … }. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** The rule that forwards Macie findings on the results bucket. */
  readonly macieFindingsRule: IRule;
  /** The model routes, each with its own breaker (functions/model/routes.ts). */
  readonly routes: readonly string[];
  readonly thresholds: AlarmThresholds;
}

/**
 * Errors a step throws on purpose so that Step Functions waits and calls again: they are how an item
 * parks, not faults, so they are taken out of the step's error count before it is alarmed on.
 */
const WAITING_SIGNALS: Readonly<Record<string, readonly string[]>> = {
  'dlp-check': ['TranscriptionPending'],
  'invoke-model': ['ModelUnavailable'],
};
const WAITING_SIGNALS_METRIC = 'StepWaitSignals';

/**
 * The alarms of docs/operations.md (each one's meaning and what to do are there). They carry no action
 * here: NotifyEveryAlarm (alarm-topic.ts) sends every alarm of the stack to the alarm topic.
 */
export class PipelineAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    for (const route of props.routes) {
      this.add(`BreakerOpen-${route}`, {
        alarmDescription: `The circuit breaker of model route ${route} is open: calls on it are refused and items fall back or park.`,
        metric: new Metric({
          namespace: METRIC_NAMESPACE,
          metricName: PIPELINE_METRICS.breakerOpen.name,
          dimensionsMap: { ...METRIC_SERVICE_DIMENSION, [PIPELINE_METRICS.breakerOpen.dimension]: route },
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        // The metric is written on transitions only: between them the alarm keeps the last state.
        treatMissingData: TreatMissingData.IGNORE,
      });
    }

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.add(`DeadLetters-${name}`, {
        alarmDescription: `The ${name} dead-letter queue holds messages: see docs/operations.md, "Redrive".`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes }),
        threshold: 1,
      });
    }

    for (const [name, workflow] of [
      ['Pipeline', props.standardWorkflow],
      ['Realtime', props.expressWorkflow],
    ] as const) {
      this.add(`${name}ExecutionsFailed`, {
        alarmDescription: `Executions of the ${name} workflow failed, timed out or were aborted (an outage outlasting the park patience, or a bug).`,
        metric: new MathExpression({
          expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
          usingMetrics: {
            failed: workflow.metricFailed({ period: fiveMinutes }),
            timedOut: workflow.metricTimedOut({ period: fiveMinutes }),
            aborted: workflow.metricAborted({ period: fiveMinutes }),
          },
          period: fiveMinutes,
        }),
        threshold: 1,
      });
    }
    this.add('PipelineP99', {
      alarmDescription: `p99 of an upload's end-to-end time exceeded ${props.thresholds.pipelineP99Ms} ms for 15 minutes.`,
      metric: props.standardWorkflow.metric('ExecutionTime', { statistic: 'p99', period: fiveMinutes }),
      threshold: props.thresholds.pipelineP99Ms,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    this.add('RealtimeP99', {
      alarmDescription: `p99 of POST /v1/analyze's end-to-end time exceeded ${props.thresholds.realtimeP99Ms} ms for 15 minutes.`,
      metric: props.expressWorkflow.metric('ExecutionTime', { statistic: 'p99', period: fiveMinutes }),
      threshold: props.thresholds.realtimeP99Ms,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });

    for (const fn of props.functions) {
      const name = fn.node.id.replace(/Function$/, '');
      this.add(`${name}Errors`, {
        alarmDescription: `${fn.step} failed in 2 of the last 3 five-minute periods (bugs, timeouts, AWS errors; not the waits Step Functions retries).`,
        metric: this.errorsWithoutWaits(fn, fiveMinutes),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
      this.add(`${name}Throttles`, {
        alarmDescription: `${fn.step} was throttled at its reserved concurrency for 15 minutes: raise ${concurrencySettingName(fn.step)} or find what floods it.`,
        metric: fn.function.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 3,
      });
      if (fn.step === 'invoke-model') {
        this.add('InvokeModelP99', {
          alarmDescription: `p99 of InvokeModel's duration exceeded ${props.thresholds.invokeModelP99Ms} ms for 15 minutes: the model endpoint is slow.`,
          metric: fn.function.metricDuration({ statistic: 'p99', period: fiveMinutes }),
          threshold: props.thresholds.invokeModelP99Ms,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
        });
      }
    }

    this.add('MacieFindings', {
      alarmDescription: 'Macie found sensitive data in the results bucket (model answers or transcripts).',
      metric: new Metric({
        namespace: 'AWS/Events',
        metricName: 'MatchedEvents',
        dimensionsMap: { RuleName: props.macieFindingsRule.ruleName },
        statistic: 'Sum',
        period: fiveMinutes,
      }),
      threshold: 1,
    });
  }

  /** Lambda's Errors, less the waiting signals the step logged ('step failed' lines, pipeline/step.ts). */
  private errorsWithoutWaits(fn: MediaFunction, period: Duration): IMetric {
    const errors = fn.function.metricErrors({ period, statistic: 'Sum' });
    const signals = WAITING_SIGNALS[fn.step];
    if (!signals) return errors;
    new MetricFilter(this, `${fn.node.id}WaitSignals`, {
      logGroup: fn.logGroup,
      metricNamespace: METRIC_NAMESPACE,
      metricName: WAITING_SIGNALS_METRIC,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.message', '=', 'step failed'),
        FilterPattern.any(...signals.map((signal) => FilterPattern.stringValue('$.errorName', '=', signal))),
      ),
      metricValue: '1',
      dimensions: { step: '$.step' },
    });
    const waits = new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: WAITING_SIGNALS_METRIC,
      dimensionsMap: { step: stepStateName(fn.step) },
      statistic: 'Sum',
      period,
    });
    return new MathExpression({
      // A wait logged a moment before its Lambda error lands in the next period may go negative: harmless.
      expression: 'FILL(errors, 0) - FILL(waits, 0)',
      usingMetrics: { errors, waits },
      period,
      label: `${fn.step} errors other than waits`,
    });
  }

  private add(
    id: string,
    props: {
      alarmDescription: string;
      metric: IMetric;
      threshold: number;
      comparisonOperator?: ComparisonOperator;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
      treatMissingData?: TreatMissingData;
    },
  ): void {
    this.alarms.push(
      new Alarm(this, id, {
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        ...props,
      }),
    );
  }
}

/** The state name a step's log lines carry (`validate-and-strip` → `ValidateAndStrip`). */
function stepStateName(step: string): string {
  return step
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
