import { type IAspect, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

export interface AlarmTopicProps {
  /** Encrypts the messages at rest; CloudWatch may use it only for this account's alarms. */
  readonly encryptionKey: IKey;
  /** @default - no e-mail subscription */
  readonly email?: string;
  /** An https:// endpoint (a chat or paging webhook). @default - no webhook subscription */
  readonly webhookUrl?: string;
}

/**
 * Where every alarm goes: a KMS-encrypted, TLS-only SNS topic with the operator's e-mail address and/or
 * webhook subscribed (deployment settings MEDIAGATE_ALARM_EMAIL, MEDIAGATE_ALARM_WEBHOOK_URL).
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'mediagate alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // CloudWatch publishes alarm state changes to an encrypted topic with a data key of its own making.
    props.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    if (props.webhookUrl) this.topic.addSubscription(new UrlSubscription(props.webhookUrl));
  }
}

/**
 * Sends every alarm in the scope to the topic, on ALARM and on OK, so no alarm is added that notifies no
 * one; test/infra checks the template for it.
 */
export class NotifyEveryAlarm implements IAspect {
  private readonly action: SnsAction;
  /** Aspects may visit a construct more than once; each alarm gets the topic once. */
  private readonly notified = new WeakSet<Alarm>();

  constructor(topic: Topic) {
    this.action = new SnsAction(topic);
  }

  visit(node: IConstruct): void {
    if (!(node instanceof Alarm) || this.notified.has(node)) return;
    this.notified.add(node);
    node.addAlarmAction(this.action);
    node.addOkAction(this.action);
  }
}
