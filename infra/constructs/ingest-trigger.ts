import { Duration, Names } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface IngestTriggerProps {
  readonly ingestBucket: IBucket;
  /** The starter function (functions/start-execution). */
  readonly starter: IFunction;
  readonly stateMachine: IStateMachine;
  /** Encrypts both queues; its policy must let this account's EventBridge rules use it (MediagateStack's does). */
  readonly encryptionKey: IKey;
  /**
   * How long messages wait in the dead-letter queue for a redrive.
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
  /**
   * Most starter invocations the queue drives at once; set it to the starter's reserved concurrency so
   * the poller never throttles itself. @default - no limit beyond the function's own
   */
  readonly maxConcurrency?: number;
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
    // EventBridge encrypts into these queues with the key: the stack's key policy allows its rules to.

    const source = new SqsEventSource(this.queue, {
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(1),
      reportBatchItemFailures: true,
      // SQS event sources take 2 at least.
      ...(props.maxConcurrency ? { maxConcurrency: Math.max(2, props.maxConcurrency) } : {}),
    });
    props.starter.addEventSource(source);
    props.stateMachine.grantStartExecution(props.starter);

    acknowledge(
      this.deadLetterQueue,
      ['Serverless-SQSRedrivePolicy'],
      'This is the dead-letter queue of the upload queue and of the ObjectCreated rule; what lands here waits for `mediagate redrive`, and a queue behind it would only hide it.',
    );
    acknowledge(
      props.starter.node.tryFindChild(`SqsEventSource:${Names.nodeUniqueId(this.queue.node)}`),
      ['Serverless-LambdaEventSourceMappingDestination'],
      "An on-failure destination applies to stream sources; for this SQS source a message that fails 5 times moves to the queue's own dead-letter queue (RedrivePolicy).",
    );
  }
}
