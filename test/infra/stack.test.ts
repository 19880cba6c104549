import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateMachineDefinition } from '../../infra/local/template.js';
import { type CfnTemplate, synthesizeMediagate } from '../../infra/synth.js';

describe('MediagateStack', () => {
  let template: Template;
  let outdir: string;

  beforeAll(() => {
    // Prepare: synthesize with the AwsSolutions pack, as the app does
    const result = synthesizeMediagate({ nag: true });
    template = Template.fromStack(result.stack);
    outdir = result.outdir;
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement justified', () => {
    // Assess: synthesis would have thrown on an unacknowledged error; check the report for the rest
    const reportFile = path.join(outdir, 'validation-report.json');
    const report = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8') : '{}';
    expect(report).not.toMatch(/"severity":\s*"error"/);
    const resources = template.toJSON().Resources as Record<
      string,
      { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
    >;
    const acknowledged = Object.values(resources).flatMap(
      (resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? [],
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(40);
    }
  });

  it('encrypts every bucket that holds media with the customer-managed key and refuses plain HTTP', () => {
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
      },
    });
    expect(Object.keys(buckets)).toHaveLength(4);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(5);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('rotates the KMS key and encrypts tables, queues and log groups with it', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
    template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    template.allResourcesProperties('AWS::Logs::LogGroup', {
      KmsKeyId: Match.anyValue(),
      RetentionInDays: Match.anyValue(),
    });
  });

  it('expires uploads in the ingest bucket and sends its object events to EventBridge', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7 })]) },
    });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  it('routes Object Created under incoming/ through a queue with a dead-letter queue to the starter', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { object: { key: [{ prefix: 'incoming/' }] } },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue(), DeadLetterConfig: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('chains the five steps in order, each with its own Retry and a Catch to the failure path', () => {
    const { definition } = stateMachineDefinition(template.toJSON() as CfnTemplate);
    const states = definition.States as Record<
      string,
      {
        Type: string;
        Next?: string;
        Retry?: unknown[];
        Catch?: { Next: string }[];
        Choices?: { Next: string }[];
      }
    >;
    const order = ['ValidateAndStrip', 'Preprocess', 'DlpCheck', 'InvokeModel', 'RecordCost'];
    expect(definition.StartAt).toBe('ValidateAndStrip');
    for (const [index, name] of order.entries()) {
      const state = states[name];
      expect(state?.Type).toBe('Task');
      expect(state?.Retry?.length).toBeGreaterThanOrEqual(2);
      expect(state?.Catch?.[0]?.Next).toBe('MarkFailed');
      const next = order[index + 1];
      if (next) expect(states[state?.Next ?? '']?.Choices?.[0]?.Next).toBe(next);
    }
    expect(states.RecordCost?.Next).toBe('PublishProcessed');
    expect(JSON.stringify(states.InvokeModel?.Retry)).toContain('ModelUnavailable');
  });

  it('keeps execution data out of the state machine logs and traces it', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ALL' }),
    });
  });

  it('runs every function on Node 24 with tracing and source maps, sharp and ffmpeg from layers', () => {
    const ours = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { MEDIAGATE_STEP: Match.anyValue() } } },
    });
    expect(Object.keys(ours)).toHaveLength(7);
    for (const fn of Object.values(ours)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
    }
    const mediaSteps = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: { MEDIAGATE_STEP: Match.stringLikeRegexp('validate-and-strip|preprocess') },
        },
      },
    });
    for (const fn of Object.values(mediaSteps)) expect(fn.Properties.Layers).toHaveLength(2);
  });

  it('exposes the presign function only through an IAM-authenticated URL', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  it('gives no function a wildcard S3 or DynamoDB action', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"s3:\w*\*"/);
    expect(policies).not.toMatch(/"dynamodb:\w*\*"/);
    expect(policies).not.toContain('"kms:GenerateDataKey*"');
  });

  it('schedules a daily Macie classification job over the results bucket and forwards its findings to the bus', () => {
    template.hasResourceProperties('AWS::Macie::Session', { Status: 'ENABLED' });
    const jobs = template.findResources('Custom::AWS');
    const create = Object.values(jobs)
      .map((job) => JSON.stringify(job.Properties.Create))
      .find((call) => call.includes('createClassificationJob'));
    expect(create).toBeDefined();
    expect(create).toContain('\\"jobType\\":\\"SCHEDULED\\"');
    expect(create).toContain('ResultsBucket');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.macie'], 'detail-type': ['Macie Finding'] }),
    });
  });

  it('alarms per tenant tier when a tenant hits its cap or the tier spends a daily cap within an hour', () => {
    for (const tier of ['trial', 'standard', 'enterprise']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'BudgetExceeded',
        Dimensions: Match.arrayWith([{ Name: 'tier', Value: tier }]),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'SpendMicroUsd',
        Dimensions: Match.arrayWith([{ Name: 'tier', Value: tier }]),
      });
    }
  });
});
