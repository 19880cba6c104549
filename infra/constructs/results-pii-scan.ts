import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { ArnPrincipal, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnSession } from 'aws-cdk-lib/aws-macie';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  PhysicalResourceId,
  PhysicalResourceIdReference,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge, NAG_RULES } from '../nag.js';

/** Construct id CDK gives the AwsCustomResource provider function (one per stack). */
const AWS_CUSTOM_RESOURCE_SINGLETON = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface ResultsPiiScanProps {
  /** Bucket of model answers and transcripts: text that may echo PII back. */
  readonly resultsBucket: IBucket;
  readonly encryptionKey: IKey;
  /** Bus that receives Macie's findings, beside the outcome events. */
  readonly findingsBus: IEventBus;
  /**
   * Enable Macie in this account and region. Turn off where the account already runs Macie
   * (a second session cannot be created).
   * @default true
   */
  readonly enableMacie?: boolean;
}

/**
 * A daily Amazon Macie classification job over the results bucket, with findings forwarded to our bus.
 * CloudFormation has no resource for Macie jobs, so the job is created through the Macie API by a
 * custom resource (and cancelled, since jobs cannot be deleted, when the stack goes).
 */
export class ResultsPiiScan extends Construct {
  /** The rule that forwards findings; its MatchedEvents count the findings. */
  readonly findingsRule: Rule;
  /** Findings EventBridge could not deliver to the bus. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ResultsPiiScanProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const session =
      (props.enableMacie ?? true)
        ? new CfnSession(this, 'Session', {
            status: 'ENABLED',
            findingPublishingFrequency: 'FIFTEEN_MINUTES',
          })
        : undefined;

    // Macie reads objects as its service-linked role; the bucket's KMS key must let it decrypt.
    props.encryptionKey.grantDecrypt(
      new ArnPrincipal(
        `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie`,
      ),
    );

    const job = new AwsCustomResource(this, 'ClassificationJob', {
      installLatestAwsSdk: false,
      onCreate: {
        service: 'Macie2',
        action: 'createClassificationJob',
        parameters: {
          name: `mediagate-results-${stack.stackName}`,
          description: 'Daily PII scan of model answers and transcripts',
          jobType: 'SCHEDULED',
          scheduleFrequency: { dailySchedule: {} },
          initialRun: true,
          managedDataIdentifierSelector: 'RECOMMENDED',
          s3JobDefinition: {
            bucketDefinitions: [{ accountId: stack.account, buckets: [props.resultsBucket.bucketName] }],
          },
          clientToken: `mediagate-results-${stack.stackName}`,
        },
        physicalResourceId: PhysicalResourceId.fromResponse('jobId'),
      },
      onDelete: {
        service: 'Macie2',
        action: 'updateClassificationJob',
        parameters: { jobId: new PhysicalResourceIdReference(), jobStatus: 'CANCELLED' },
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
    });
    if (session) job.node.addDependency(session);

    const forwarder = new Role(this, 'ForwardFindingsRole', {
      assumedBy: new ServicePrincipal('events.amazonaws.com'),
    });
    // The target bus is encrypted with our key; putting events onto it needs a data key.
    forwarder.addToPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
        resources: [props.encryptionKey.keyArn],
      }),
    );
    this.deadLetterQueue = new Queue(this, 'FindingsDeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.findingsRule = new Rule(this, 'Findings', {
      description: 'Forward Macie findings on the results bucket to the mediagate bus',
      eventPattern: {
        source: ['aws.macie'],
        detailType: ['Macie Finding'],
        detail: { resourcesAffected: { s3Bucket: { name: [props.resultsBucket.bucketName] } } },
      },
      targets: [
        new EventBusTarget(props.findingsBus, { role: forwarder, deadLetterQueue: this.deadLetterQueue }),
      ],
    });
    acknowledge(
      this.deadLetterQueue,
      ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      'Dead-letter queue of the Macie-findings rule target; a finding that lands here is read by an operator (docs/operations.md), and a queue behind it would only hide it.',
    );
    acknowledge(
      forwarder.node.tryFindChild('DefaultPolicy'),
      NAG_RULES.inlinePolicy,
      "The forwarder role's one statement (PutEvents to our bus, a data key for it) serves only this rule; a managed policy could be attached elsewhere.",
    );
    acknowledge(
      job.node.tryFindChild('CustomResourcePolicy'),
      NAG_RULES.inlinePolicy,
      'CDK-generated policy of the Macie job custom resource (create/cancel the job), used only at deploy time.',
    );

    // The custom resource's provider function is a CDK-owned singleton that runs only during deploys.
    const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK-owned AwsCustomResource provider, run only at deploy time to create or cancel the Macie job.',
      });
      const deployTimeOnly = 'CDK-owned AwsCustomResource provider that creates or cancels the Macie job';
      acknowledge(
        provider,
        NAG_RULES.lambdaInsideVpc,
        `${deployTimeOnly}; it calls only the Macie API, during deploys.`,
      );
      acknowledge(
        provider,
        NAG_RULES.lambdaDlq,
        `${deployTimeOnly}; CloudFormation invokes it and reports its failure as a failed deploy.`,
      );
      acknowledge(
        provider,
        NAG_RULES.lambdaConcurrency,
        `${deployTimeOnly}; it runs once per deploy, never under load.`,
      );
      acknowledge(
        provider,
        ['Serverless-LambdaTracing'],
        `${deployTimeOnly}; CDK owns its configuration and a deploy-time call needs no trace.`,
      );
      acknowledge(
        provider,
        ['Serverless-LambdaDefaultMemorySize'],
        `${deployTimeOnly}; CDK sizes it for one SDK call per deploy.`,
      );
    }
    Validations.of(job).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Macie2 CreateClassificationJob/UpdateClassificationJob act on jobs that do not exist yet; they accept only "*".',
    });
  }
}
