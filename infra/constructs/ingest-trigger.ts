import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface IngestTriggerProps {
  readonly ingestBucket: IBucket;
  /** The starter function (functions/start-execution). */
  readonly starter: IFunction;
  readonly stateMachine: IStateMachine;
  readonly encryptionKey: IKey;
  /**
   * How long messages wait in the dead-letter queue for a redrive.
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
}

/**
 * S3 "Object Created" (via EventBridge) → SQS → starter → one Standard execution per object version.
 * The queue sits between so an outage of the starter or of Step Functions buffers uploads, never drops them.
 */
export class IngestTrigger extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IngestTriggerProps) {
    super(scope, id);
    const queueDefaults = {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
    };
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      ...queueDefaults,
      retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
    });
    this.queue = new Queue(this, 'Uploads', {
      ...queueDefaults,
      // Six times the starter's timeout, as Lambda's SQS guidance advises.
      visibilityTimeout: Duration.seconds(180),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    new Rule(this, 'ObjectCreated', {
      description: 'New uploads under incoming/ start the media pipeline',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.ingestBucket.bucketName] },
          object: { key: [{ prefix: 'incoming/' }] },
        },
      },
      targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });
    // EventBridge must be able to encrypt into the KMS-encrypted queues.
    props.encryptionKey.grantEncryptDecrypt(new ServicePrincipal('events.amazonaws.com'));

    props.starter.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );
    props.stateMachine.grantStartExecution(props.starter);
  }
}
