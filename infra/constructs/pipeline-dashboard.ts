import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  FINAL_OUTCOMES,
  METRIC_NAMESPACE,
  METRIC_SERVICE_DIMENSION,
  PIPELINE_METRICS,
  PIPELINE_STEP_NAMES,
} from '../../functions/pipeline/metric-names.js';

export interface PipelineDashboardProps {
  readonly standardWorkflow: IStateMachine;
  readonly expressWorkflow: IStateMachine;
  /** The model routes, each with its own breaker (functions/model/routes.ts). */
  readonly routes: readonly string[];
}

const PERIOD = Duration.minutes(5);

/**
 * One page of the pipeline on the metrics of functions/pipeline/metric-names.ts: items by outcome,
 * p50/p99 per step and end to end, cache hit rate, tokens saved by preprocessing, spend per tenant,
 * breaker state per route, bytes in and out. Tenants are not known at deploy time, so spend is a
 * SEARCH over whatever tenants report.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const metric = (
      name: string,
      statistic: string,
      extraDimensions: Record<string, string> = {},
      label?: string,
    ) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: name,
        dimensionsMap: { ...METRIC_SERVICE_DIMENSION, ...extraDimensions },
        statistic,
        period: PERIOD,
        label,
      });
    const {
      itemsByOutcome,
      stepLatency,
      cacheHit,
      tokensSaved,
      costMicroUsd,
      breakerOpen,
      bytesIn,
      bytesOut,
    } = PIPELINE_METRICS;

    const widgets: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            '## mediagate\nWhat each alarm means and what to do: docs/operations.md. Metrics: namespace `Mediagate`, functions/pipeline/metric-names.ts.',
          width: 24,
          height: 2,
        }),
      ],
      [
        graph(
          'Items by outcome',
          FINAL_OUTCOMES.map((outcome) =>
            metric(itemsByOutcome.name, 'Sum', { [itemsByOutcome.dimension]: outcome }, outcome),
          ),
          { stacked: true },
        ),
        graph(
          'End-to-end p50 / p99 (ms)',
          (
            [
              ['uploads', props.standardWorkflow],
              ['analyze', props.expressWorkflow],
            ] as const
          ).flatMap(([name, workflow]) =>
            ['p50', 'p99'].map((statistic) =>
              workflow.metric('ExecutionTime', {
                statistic,
                period: PERIOD,
                label: `${name} ${statistic}`,
              }),
            ),
          ),
        ),
      ],
      [
        graph(
          'Step latency p50 (ms)',
          PIPELINE_STEP_NAMES.map((step) =>
            metric(stepLatency.name, 'p50', { [stepLatency.dimension]: step }, step),
          ),
        ),
        graph(
          'Step latency p99 (ms)',
          PIPELINE_STEP_NAMES.map((step) =>
            metric(stepLatency.name, 'p99', { [stepLatency.dimension]: step }, step),
          ),
        ),
      ],
      [
        graph('Result-cache hit rate (%)', [
          new MathExpression({
            expression: '100 * hits',
            usingMetrics: { hits: metric(cacheHit.name, 'Average') },
            period: PERIOD,
            label: 'hit rate',
          }),
        ]),
        graph('Tokens saved by preprocessing', [metric(tokensSaved.name, 'Sum', {}, 'tokens saved')]),
      ],
      [
        graph('Spend per tenant (USD)', [
          new MathExpression({
            expression: `SEARCH('{${METRIC_NAMESPACE},${costMicroUsd.dimension},service} MetricName="${costMicroUsd.name}"', 'Sum', ${PERIOD.toSeconds()}) / 1000000`,
            period: PERIOD,
            label: '',
          }),
        ]),
        graph(
          'Breaker open per route (1 = open)',
          props.routes.map((route) =>
            metric(breakerOpen.name, 'Maximum', { [breakerOpen.dimension]: route }, route),
          ),
        ),
      ],
      [
        graph('Bytes in / out', [
          metric(bytesIn.name, 'Sum', {}, 'bytes in'),
          metric(bytesOut.name, 'Sum', {}, 'bytes out'),
        ]),
      ],
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets,
    });
  }
}

function graph(
  title: string,
  left: ConstructorParameters<typeof GraphWidget>[0]['left'],
  options: { stacked?: boolean } = {},
): GraphWidget {
  return new GraphWidget({ title, left, width: 12, height: 6, stacked: options.stacked ?? false });
}
