import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../functions/model/routes.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { TranscriptionPendingError } from '../../functions/pipeline/reasons.js';
import { pipelineStep } from '../../functions/pipeline/step.js';
import { stateMachineDefinition } from '../../infra/local/template.js';
import { DEFAULT_RESERVED_CONCURRENCY, parseStackSettings } from '../../infra/stack-settings.js';
import { type CfnTemplate, synthesizeMediagate } from '../../infra/synth.js';
import { captureOutput } from '../fixtures/capture-output.js';

type Resource = CfnTemplate['Resources'][string];

const waitingItem: PipelineState = {
  executionId: 'mg-wait',
  bucket: 'ingest',
  key: 'incoming/acme/1',
  sizeBytes: 1,
  tenant: 'acme',
  objectKeyHash: 'hash-wait',
  receivedAt: '2026-12-01T00:00:00.000Z',
  status: 'in_progress',
  steps: [],
};

/** A property every test here expects to be present; a clear failure instead of a TypeError. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
}

const byType = (template: CfnTemplate, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

const mediagateFunctions = (template: CfnTemplate) =>
  byType(template, 'AWS::Lambda::Function').filter(([, fn]) =>
    JSON.stringify(fn.Properties?.Environment ?? {}).includes('MEDIAGATE_STEP'),
  );

describe('operations: alarms that reach someone, and a dashboard', () => {
  let template: CfnTemplate;
  let assertions: Template;
  let topicId: string;

  beforeAll(() => {
    // Prepare: the default deployment
    const result = synthesizeMediagate();
    template = result.template;
    assertions = Template.fromStack(result.stack);
    const topics = byType(template, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    topicId = topics[0]?.[0] ?? '';
  });

  it('sends every alarm in the template to one KMS-encrypted, TLS-only topic, on ALARM and on OK', () => {
    const alarms = byType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(30);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties?.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.OKActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.AlarmDescription, id).toEqual(expect.any(String));
    }
    assertions.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
    });
    assertions.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // Without a recipient in the settings, nothing is subscribed (a deployment adds one: next test).
    expect(byType(template, 'AWS::SNS::Subscription')).toEqual([]);
  });

  it('covers breakers, dead letters, failed executions, budgets, Lambda errors and throttles, p99s and Macie', () => {
    // Prepare: each alarm by the metric it watches
    const watched = byType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) =>
      JSON.stringify(alarm.Properties),
    );
    const count = (pattern: RegExp) => watched.filter((alarm) => pattern.test(alarm)).length;

    // Assess
    for (const route of allRoutes()) {
      expect(
        watched.some(
          (a) => a.includes('"MetricName":"BreakerOpen"') && a.includes(`"Value":"${route.name}"`),
        ),
        route.name,
      ).toBe(true);
    }
    expect(count(/"MetricName":"ApproximateNumberOfMessagesVisible"/)).toBe(2);
    expect(count(/"MetricName":"ExecutionsFailed"/)).toBe(2);
    expect(count(/"MetricName":"ExecutionsTimedOut"/)).toBe(2);
    expect(count(/"MetricName":"(BudgetExceeded|SpendMicroUsd)"/)).toBe(6);
    const functions = Object.keys(DEFAULT_RESERVED_CONCURRENCY).length;
    expect(count(/"MetricName":"Errors"/)).toBe(functions);
    expect(count(/"MetricName":"Throttles"/)).toBe(functions);
    expect(
      count(
        /"MetricName":"Duration".*"ExtendedStatistic":"p99"|"ExtendedStatistic":"p99".*"MetricName":"Duration"/,
      ),
    ).toBe(1);
    expect(count(/"MetricName":"ExecutionTime"/)).toBe(2);
    expect(count(/"MetricName":"MatchedEvents"/)).toBe(1);
  });

  it("does not count DlpCheck's and InvokeModel's deliberate waits as errors", async () => {
    // Prepare: the line the step wrapper logs when a step throws a waiting signal
    const dlpCheck = pipelineStep('DlpCheck', async () => {
      throw new TranscriptionPendingError('job running');
    });
    const printed = await captureOutput(async () => {
      await dlpCheck(waitingItem).catch(() => undefined);
    });
    const [line] = printed
      .split('\n')
      .filter((l) => l.includes('step failed'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);

    // Assess: the metric filters select exactly those fields, and the errors alarm subtracts them
    expect(line).toMatchObject({
      message: 'step failed',
      errorName: 'TranscriptionPending',
      step: 'DlpCheck',
    });
    const filters = byType(template, 'AWS::Logs::MetricFilter').map(([, f]) => JSON.stringify(f.Properties));
    expect(filters).toHaveLength(2);
    for (const filter of filters) {
      expect(filter).toContain('$.message = \\"step failed\\"');
      expect(filter).toContain('"Dimensions":[{"Key":"step","Value":"$.step"}]');
    }
    expect(filters.join()).toContain('$.errorName = \\"TranscriptionPending\\"');
    expect(filters.join()).toContain('$.errorName = \\"ModelUnavailable\\"');
    const dlpErrors = byType(template, 'AWS::CloudWatch::Alarm').find(([id]) =>
      id.includes('DlpCheckErrors'),
    );
    expect(JSON.stringify(dlpErrors?.[1].Properties)).toContain('FILL(errors, 0) - FILL(waits, 0)');
  });

  it('draws a dashboard of outcomes, step latency, cache hits, tokens saved, spend per tenant and breakers', () => {
    // Prepare: the dashboard body as CloudWatch reads it (references rendered as placeholders)
    const dashboards = byType(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const dashboardBody = required(dashboards[0]?.[1].Properties?.DashboardBody, 'DashboardBody');
    const [, parts] = (dashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('')) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const graph = (title: RegExp) => {
      const widget = body.widgets.find((w) => title.test(w.properties.title ?? ''));
      expect(widget, String(title)).toBeDefined();
      return JSON.stringify(widget?.properties.metrics);
    };

    // Assess: each graph reads the contract's metric with its dimension (functions/pipeline/metric-names.ts)
    const outcomes = graph(/outcome/);
    for (const outcome of ['processed', 'rejected', 'failed', 'budget_exceeded']) {
      expect(outcomes).toContain(`"ItemsByOutcome","Outcome","${outcome}","service","mediagate"`);
    }
    for (const [title, stat] of [
      [/latency p50/, 'p50'],
      [/latency p99/, 'p99'],
    ] as const) {
      const latency = graph(title);
      for (const step of ['ValidateAndStrip', 'Preprocess', 'DlpCheck', 'InvokeModel', 'RecordCost']) {
        expect(latency).toContain(`"StepLatency","Step","${step}"`);
      }
      expect(latency).toContain(`"stat":"${stat}"`);
    }
    expect(graph(/End-to-end/)).toContain('"ExecutionTime"');
    expect(graph(/cache hit rate/i)).toContain('"CacheHit","service","mediagate",{"id":"hits"');
    expect(graph(/Tokens saved/)).toContain('"TokensSaved"');
    expect(graph(/Spend per tenant/)).toContain('{Mediagate,Tenant,service} MetricName=\\"CostMicroUsd\\"');
    const breakers = graph(/Breaker/);
    for (const route of allRoutes()) expect(breakers).toContain(`"BreakerOpen","Route","${route.name}"`);
  });

  it('caps every function with reserved concurrency and lets Step Functions wait out throttling', () => {
    for (const [id, fn] of mediagateFunctions(template)) {
      expect(fn.Properties?.ReservedConcurrentExecutions, id).toBeGreaterThan(0);
    }
    assertions.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MEDIAGATE_STEP: 'invoke-model' }) },
      ReservedConcurrentExecutions: 25,
    });
    // A step throttled at its cap waits for a slot (~10 min for uploads; what a request allows for analyze).
    for (const [workflow, attempts] of [
      ['standard', 10],
      ['express', 4],
    ] as const) {
      const { definition } = stateMachineDefinition(template, workflow);
      for (const step of ['ValidateAndStrip', 'Preprocess', 'DlpCheck', 'InvokeModel', 'RecordCost']) {
        const retry = (definition.States[step] as { Retry: { ErrorEquals: string[]; MaxAttempts: number }[] })
          .Retry;
        expect(
          retry.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException')),
          step,
        ).toMatchObject({
          ErrorEquals: ['Lambda.TooManyRequestsException'],
          MaxAttempts: attempts,
        });
      }
    }
    // The queue never drives more starters than may run.
    assertions.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('ties every use of the key by an AWS service to this account (confused-deputy conditions)', () => {
    const [[, key] = []] = byType(template, 'AWS::KMS::Key');
    const keyPolicy = required(key?.Properties?.KeyPolicy, 'KeyPolicy');
    const statements = (keyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const byService = statements.filter((s) => JSON.stringify(s.Principal).includes('"Service"'));
    expect(byService.length).toBeGreaterThanOrEqual(5);
    for (const statement of byService) {
      const conditions = JSON.stringify(statement.Condition ?? {});
      expect(conditions, JSON.stringify(statement.Principal)).toMatch(
        /aws:SourceAccount|aws:SourceArn|kms:EncryptionContext/,
      );
    }
    const services = JSON.stringify(byService.map((s) => s.Principal));
    for (const service of ['logs.us-east-1', 'events', 'cloudwatch', 'delivery.logs'])
      expect(services).toContain(service);
  });

  it("encrypts both workflows' state and the outcome archive with the stack's key", () => {
    for (const [id, machine] of byType(template, 'AWS::StepFunctions::StateMachine')) {
      expect(machine.Properties?.EncryptionConfiguration, id).toMatchObject({
        Type: 'CUSTOMER_MANAGED_KMS_KEY',
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] },
      });
    }
    assertions.hasResourceProperties('AWS::Events::Archive', {
      KmsKeyIdentifier: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
    });
    // Whoever starts an execution encrypts its input: the starter and the analyze function may.
    for (const step of ['start-execution', 'analyze']) {
      const [, fn] =
        mediagateFunctions(template).find(([, f]) =>
          JSON.stringify(f.Properties).includes(`"MEDIAGATE_STEP":"${step}"`),
        ) ?? [];
      const role = (required(fn?.Properties?.Role, `${step} role`) as { 'Fn::GetAtt': string[] })[
        'Fn::GetAtt'
      ][0];
      const policies = byType(template, 'AWS::IAM::Policy').filter(([, p]) =>
        JSON.stringify(p.Properties?.Roles).includes(`"${role}"`),
      );
      expect(JSON.stringify(policies), step).toContain('kms:EncryptionContext:aws:states:stateMachineArn');
    }
  });

  it('sends Macie findings the bus could not take to a dead-letter queue', () => {
    assertions.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.macie'] }),
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
  });
});

describe('operations: deployment settings', () => {
  it('subscribes an e-mail address and an HTTPS webhook, and keeps the stack-only settings out of the functions', () => {
    // Act
    const { template } = synthesizeMediagate({
      stackProps: {
        settings: {
          MEDIAGATE_ALARM_EMAIL: 'oncall@example.com',
          MEDIAGATE_ALARM_WEBHOOK_URL: 'https://hooks.example.com/mediagate',
          MEDIAGATE_RAW_RETENTION_DAYS: '3',
          MEDIAGATE_PREPROCESS_CONCURRENCY: '7',
          MEDIAGATE_ANALYZE_CONCURRENCY: '0',
          MEDIAGATE_MAX_PIXELS: '80000000',
        },
      },
    });

    // Assess
    const subscriptions = byType(template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com' }),
        expect.objectContaining({ Protocol: 'https', Endpoint: 'https://hooks.example.com/mediagate' }),
      ]),
    );
    const assertions = Template.fromJSON(template as never);
    assertions.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ ExpirationInDays: 2, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ],
      },
    });
    for (const [id, fn] of mediagateFunctions(template)) {
      const text = JSON.stringify(fn.Properties);
      expect(text, id).toContain('"MEDIAGATE_MAX_PIXELS":"80000000"');
      expect(text, id).not.toMatch(/ALARM|RAW_RETENTION|_CONCURRENCY/);
      if (text.includes('"MEDIAGATE_STEP":"preprocess"'))
        expect(fn.Properties?.ReservedConcurrentExecutions).toBe(7);
      if (text.includes('"MEDIAGATE_STEP":"analyze"'))
        expect(fn.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('refuses a malformed recipient, retention, threshold or concurrency by name', () => {
    expect(() => parseStackSettings({ MEDIAGATE_ALARM_WEBHOOK_URL: 'http://hooks.example.com' })).toThrow(
      /MEDIAGATE_ALARM_WEBHOOK_URL must be an https/,
    );
    expect(() => parseStackSettings({ MEDIAGATE_ALARM_EMAIL: 'oncall' })).toThrow(/MEDIAGATE_ALARM_EMAIL/);
    expect(() => parseStackSettings({ MEDIAGATE_RAW_RETENTION_DAYS: '1' })).toThrow(
      /MEDIAGATE_RAW_RETENTION_DAYS/,
    );
    expect(() => parseStackSettings({ MEDIAGATE_INVOKE_MODEL_P99_ALARM_MS: '1.5s' })).toThrow(
      /MEDIAGATE_INVOKE_MODEL_P99_ALARM_MS/,
    );
    expect(() => parseStackSettings({ MEDIAGATE_INVOKE_MODEL_CONCURRENCY: 'many' })).toThrow(
      /MEDIAGATE_INVOKE_MODEL_CONCURRENCY/,
    );
    expect(
      parseStackSettings({ MEDIAGATE_INVOKE_MODEL_CONCURRENCY: '8' }).reservedConcurrency('invoke-model'),
    ).toBe(8);
    expect(() =>
      synthesizeMediagate({ stackProps: { settings: { MEDIAGATE_RAW_RETENTION_DAYS: 'week' } } }),
    ).toThrow(/MEDIAGATE_RAW_RETENTION_DAYS/);
  });
});
