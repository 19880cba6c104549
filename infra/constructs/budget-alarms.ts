import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface TierCaps {
  readonly dailyCapMicroUsd: number;
  readonly monthlyCapMicroUsd: number;
}

export interface BudgetAlarmsProps {
  /** The tiers of functions/money/budgets.json. */
  readonly tiers: Readonly<Record<string, TierCaps>>;
  /** @default 'Mediagate' */
  readonly namespace?: string;
}

/**
 * Two alarms per tenant tier, on metrics the pipeline emits with a `tier` dimension: a tenant of the tier
 * was refused for its hard cap (`BudgetExceeded`), and the tier spent more in one hour than one tenant's
 * daily cap (`SpendMicroUsd`), a runaway no single tenant's budget would show.
 */
export class BudgetAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: BudgetAlarmsProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'Mediagate';
    const tiers = Object.entries(props.tiers);
    if (tiers.length === 0) throw new Error('BudgetAlarms needs at least one tier');
    for (const [tier, caps] of tiers) {
      if (!/^[A-Za-z0-9-]+$/.test(tier)) throw new Error(`tier names must be alphanumeric; got "${tier}"`);
      if (!(caps.dailyCapMicroUsd > 0)) throw new Error(`tier ${tier} needs a positive dailyCapMicroUsd`);
      const metric = (metricName: string, period: Duration) =>
        new Metric({
          namespace,
          metricName,
          dimensionsMap: { service: 'mediagate', tier },
          statistic: 'Sum',
          period,
        });
      this.alarms.push(
        new Alarm(this, `${tier}CapReached`, {
          alarmDescription: `A ${tier}-tier tenant reached its hard budget cap; its items end budget_exceeded.`,
          metric: metric('BudgetExceeded', Duration.minutes(5)),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${tier}HourlySpend`, {
          alarmDescription: `The ${tier} tier spent more in an hour than one tenant may spend in a day.`,
          metric: metric('SpendMicroUsd', Duration.hours(1)),
          threshold: caps.dailyCapMicroUsd,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
