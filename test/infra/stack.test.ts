import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLambdaBundle, bundleLimitBytes } from '../../infra/bundling.js';
import { MediaFunction } from '../../infra/constructs/media-function.js';
import { MediaLayers } from '../../infra/constructs/media-layers.js';
import { stateMachineDefinition } from '../../infra/local/template.js';
import { type CfnTemplate, type SynthesisResult, synthesizeMediagate } from '../../infra/synth.js';

const MEDIA_STEPS = ['preprocess', 'validate-and-strip'];

describe('MediagateStack', () => {
  let template: Template;
  let outdir: string;
  let result: SynthesisResult;

  beforeAll(() => {
    // Prepare: the five cdk-nag packs are checked in nag.test.ts
    result = synthesizeMediagate();
    template = Template.fromStack(result.stack);
    outdir = result.outdir;
  });

  it('encrypts every bucket that holds media with the customer-managed key and refuses plain HTTP', () => {
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
      },
    });
    // Ingest, processed, results, quarantine and the audit trail.
    expect(Object.keys(buckets)).toHaveLength(5);
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
    expect(Object.keys(policies)).toHaveLength(6);
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

  it('keeps no version of a raw upload past 7 days and sends its object events to EventBridge', () => {
    // The current version expires after 6 days, the version that leaves behind one day later.
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ ExpirationInDays: 6, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ],
      },
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
    expect(definition.StartAt).toBe('ResumeOrStart');
    expect(JSON.stringify(states.ResumeOrStart)).toContain('"Default":"ValidateAndStrip"');
    for (const [index, name] of order.entries()) {
      const state = states[name];
      expect(state?.Type).toBe('Task');
      expect(state?.Retry?.length).toBeGreaterThanOrEqual(2);
      expect(state?.Catch?.at(-1)?.Next).toBe('MarkFailed');
      // Lambda throttling is retried in every task.
      expect(JSON.stringify(state?.Retry)).toContain('Lambda.TooManyRequestsException');
      const next = order[index + 1];
      if (next) expect(states[state?.Next ?? '']?.Choices?.map((c) => c.Next)).toContain(next);
    }
    expect(states.RecordCost?.Next).toBe('AfterRecordCost');
    // Cache first: an item answered from the result cache right after sanitisation goes straight to
    // RecordCost (no resizing, DLP or model); nothing after Preprocess skips DLP.
    expect(JSON.stringify(states.AfterValidateAndStrip?.Choices?.[0])).toContain(
      '"Variable":"$.model","IsPresent":true',
    );
    expect(states.AfterValidateAndStrip?.Choices?.[0]?.Next).toBe('RecordCost');
    expect(states.AfterPreprocess?.Choices?.map((c) => c.Next)).toEqual(['DlpCheck']);
    // A billed rejection is charged before it is published as rejected.
    expect(JSON.stringify(states.AfterInvokeModel?.Choices)).toContain('"IsPresent":true');
    expect(JSON.stringify(states.AfterRecordCost)).toContain('PublishRejected');
    expect(JSON.stringify(states.AfterRecordCost)).toContain('PublishProcessed');
    expect(JSON.stringify(states.InvokeModel?.Retry)).toContain('ModelUnavailable');
    expect(JSON.stringify(states.DlpCheck?.Retry)).toContain('TranscriptionPending');
  });

  it('sweeps expired budget reservations every 5 minutes with a function that may query only the expiry index', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(5 minutes)' },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    const [rule] = Object.values(rules);
    const target = JSON.stringify(rule?.Properties?.Targets);
    expect(target).toContain('SweepReservationsFunction');
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/index/byExpiry');
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'byExpiry' })]),
    });
  });

  it('ends an outage or an exhausted quota as a redrivable failure that resumes at InvokeModel', () => {
    const { definition } = stateMachineDefinition(template.toJSON() as CfnTemplate);
    const states = definition.States as Record<string, Record<string, unknown>>;
    const invoke = states.InvokeModel as { Catch: { ErrorEquals: string[]; Next: string }[] };
    expect(invoke.Catch.map((c) => `${c.ErrorEquals.join('|')}→${c.Next}`)).toEqual([
      'ModelUnavailable→MarkOutage',
      'RateLimited→MarkRateLimited',
      'BudgetPending→MarkBudgetPending',
      'MODEL_QUOTA_EXHAUSTED→MarkQuotaExhausted',
      'States.ALL→MarkFailed',
    ]);
    // An item over its rate limit, or waiting for others' reservations, parks like an outage and,
    // after the whole patience, ends redrivable too.
    const retries = (states.InvokeModel as { Retry: { ErrorEquals: string[]; MaxAttempts: number }[] }).Retry;
    for (const error of ['RateLimited', 'BudgetPending']) {
      expect(retries.find((r) => r.ErrorEquals.includes(error))?.MaxAttempts).toBeGreaterThan(100);
      expect(states[`Mark${error}`]).toMatchObject({ ResultPath: '$.reason', Next: 'MarkRedrivable' });
    }
    expect(states.MarkOutage).toMatchObject({
      Result: 'MODEL_OUTAGE',
      ResultPath: '$.reason',
      Next: 'MarkRedrivable',
    });
    expect(states.MarkRedrivable).toMatchObject({
      Result: { redrivable: true, resumeAt: 'InvokeModel' },
      ResultPath: '$.redrive',
      Next: 'MarkFailed',
    });
    // A redriven document enters at InvokeModel, skipping the steps it has already been through.
    expect(states.ResumeOrStart).toMatchObject({
      Choices: [
        {
          And: [
            { Variable: '$.resumeAt', IsPresent: true },
            { Variable: '$.resumeAt', StringEquals: 'InvokeModel' },
          ],
          Next: 'InvokeModel',
        },
      ],
    });
  });

  it("parks an item through a 2 h outage with waits that grow only to the breaker's longest cool-down", () => {
    const { definition } = stateMachineDefinition(template.toJSON() as CfnTemplate);
    const retry = (definition.States.InvokeModel as { Retry: Record<string, unknown>[] }).Retry.find((r) =>
      (r.ErrorEquals as string[]).includes('ModelUnavailable'),
    );
    expect(retry).toMatchObject({ IntervalSeconds: 30, BackoffRate: 1.5, MaxDelaySeconds: 300 });
    // 30, 45, 67.5, …, then 5 min at a time: the waits add up to the 2 h patience, not past it.
    const waits = Array.from({ length: retry?.MaxAttempts as number }, (_, n) =>
      Math.min(30 * 1.5 ** n, 300),
    );
    const total = waits.reduce((sum, wait) => sum + wait, 0);
    expect(total).toBeLessThanOrEqual(2 * 3600);
    expect(total + 300).toBeGreaterThan(2 * 3600);
  });

  it("keeps execution data out of both state machines' logs and traces them", () => {
    for (const type of ['STANDARD', 'EXPRESS']) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: type,
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ALL' }),
      });
    }
  });

  it('runs POST /v1/analyze through an Express workflow of the same steps, behind an IAM-authenticated URL', () => {
    const standard = stateMachineDefinition(template.toJSON() as CfnTemplate, 'standard');
    const express = stateMachineDefinition(template.toJSON() as CfnTemplate, 'express');
    // The same steps on the same functions; only waiting differs. Both are valid ASL (every state reachable).
    expect(express.tasks).toEqual(standard.tasks);
    for (const { definition } of [standard, express]) {
      expect(
        () =>
          new StateMachine(structuredClone(definition) as never, { validationOptions: { checkArn: false } }),
      ).not.toThrow();
    }
    const invoke = express.definition.States.InvokeModel as {
      Retry: { ErrorEquals: string[] }[];
      Catch: { ErrorEquals: string[]; Next: string }[];
    };
    expect(JSON.stringify(invoke.Retry)).not.toContain('ModelUnavailable');
    expect(invoke.Catch[0]).toMatchObject({
      ErrorEquals: ['ModelUnavailable'],
      Next: 'MarkModelUnavailable',
    });
    expect(express.definition.States.Failed?.Type).toBe('Succeed');
    expect(JSON.stringify(express.definition.States.DlpCheck)).not.toContain(
      '"TranscriptionPending"],"IntervalSeconds',
    );
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnalyzeFunction'), 'Arn'] },
    });
    // The analyze function may start only the Express workflow, synchronously.
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^AnalyzeFunction') }] },
    });
    const actions = JSON.stringify(Object.values(policies).map((p) => p.Properties.PolicyDocument.Statement));
    expect(actions).toContain('states:StartSyncExecution');
    expect(actions).not.toContain('states:StartExecution"');
  });

  it('runs every function on Node 24 with tracing and source maps, sharp and ffmpeg from layers', () => {
    const ours = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { MEDIAGATE_STEP: Match.anyValue() } } },
    });
    expect(Object.keys(ours)).toHaveLength(11);
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
    expect(Object.keys(mediaSteps)).toHaveLength(MEDIA_STEPS.length);
    for (const fn of Object.values(mediaSteps)) {
      // ValidateAndStrip also gets the documents layer (MuPDF, libheif) for PDF and HEIC uploads.
      const documents = fn.Properties.Environment.Variables.MEDIAGATE_STEP === 'validate-and-strip';
      expect(fn.Properties.Layers).toHaveLength(documents ? 3 : 2);
    }
  });

  it('keeps sharp, its libvips packages and ffmpeg out of the media bundles, for the layers to provide', async () => {
    // Prepare: the bundling settings each media function was built with
    const mediaFunctions = result.stack.node
      .findAll()
      .filter((node): node is MediaFunction => node instanceof MediaFunction)
      .filter((fn) => MEDIA_STEPS.includes(fn.step));
    expect(mediaFunctions.map((fn) => fn.step).sort()).toEqual(MEDIA_STEPS);
    for (const fn of mediaFunctions) {
      expect(fn.externalModules).toEqual(expect.arrayContaining([...MediaLayers.EXTERNAL_MODULES]));
      // Act: bundle the handler as NodejsFunction does (unit synthesis skips asset bundling)
      const bundle = await buildLambdaBundle(fn, path.join(outdir, 'bundles', fn.step, 'index.mjs'));
      // Assess: nothing from those packages is inlined, and sharp is imported at run time
      const inlined = Object.keys(bundle.metafile.inputs).filter((input) =>
        /node_modules\/(sharp|@img|@ffmpeg-installer)\//.test(input),
      );
      expect(inlined, fn.step).toEqual([]);
      const imports = Object.values(bundle.metafile.outputs).flatMap((output) => output.imports);
      expect(imports).toContainEqual(expect.objectContaining({ path: 'sharp', external: true }));
    }
  });

  it('keeps each bundle within its size limit, without local-only detectors, NLP lexicons or tokenizer tables', async () => {
    // Prepare: every function, as the stack configures it
    const functions = result.stack.node
      .findAll()
      .filter((node): node is MediaFunction => node instanceof MediaFunction);
    expect(functions).toHaveLength(11);
    for (const fn of functions) {
      // Act: bundle as NodejsFunction does
      const bundle = await buildLambdaBundle(fn, path.join(outdir, 'bundles', fn.step, 'index.mjs'));
      // Assess: the code Lambda loads (source map aside) fits, and the heavy pieces are neither inlined
      // nor imported at cold start; the tokenizer may only be imported on first use, from its layer
      const limit = ['validate-and-strip', 'preprocess', 'dlp-check'].includes(fn.step) ? 1024 : 500;
      expect(bundleLimitBytes(fn), fn.step).toBe(limit * 1024);
      expect(bundle.bytes, fn.step).toBeLessThanOrEqual(limit * 1024);
      expect(bundle.sourceMapBytes, fn.step).toBeGreaterThan(0);
      const heavy =
        /node_modules\/(gpt-tokenizer|compromise|libphonenumber-js|tesseract\.js|@tesseract\.js-data|mupdf|libheif-js)\//;
      expect(
        Object.keys(bundle.metafile.inputs).filter((input) => heavy.test(input)),
        fn.step,
      ).toEqual([]);
      const imports = Object.values(bundle.metafile.outputs).flatMap((output) => output.imports);
      const eager = imports.filter((i) => i.kind === 'import-statement').map((i) => i.path);
      expect(
        eager.filter((name) => /gpt-tokenizer|compromise|libphonenumber|tesseract|mupdf|libheif/.test(name)),
      ).toEqual([]);
      // The PDF and HEIC engines load on the first such upload, from the documents layer.
      const engines = imports.filter((i) => /^(mupdf|libheif-js)/.test(i.path));
      if (fn.step === 'validate-and-strip') {
        expect(engines.map((i) => [i.path, i.kind, i.external]).sort()).toEqual([
          ['libheif-js/wasm-bundle.js', 'dynamic-import', true],
          ['mupdf', 'dynamic-import', true],
        ]);
      } else expect(engines).toEqual([]);
      // SDK clients only some items need (OCR, PII scans of text, transcription, tenant sessions, budget
      // events) load on
      // first use, never at cold start.
      expect(
        eager.filter((name) =>
          /^@aws-sdk\/client-(textract|comprehend|transcribe|sts|eventbridge)$/.test(name),
        ),
        fn.step,
      ).toEqual([]);
      const tokenizer = imports.filter((i) => i.path.startsWith('gpt-tokenizer'));
      if (fn.step === 'invoke-model') {
        expect(tokenizer).toEqual([expect.objectContaining({ kind: 'dynamic-import', external: true })]);
        expect(fn.externalModules).toContain('gpt-tokenizer');
      } else expect(tokenizer).toEqual([]);
    }
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

  it('keeps the audit trail in an Object Lock bucket, signs its heads daily with an asymmetric KMS key', () => {
    const resources = template.toJSON().Resources as Record<
      string,
      {
        Type: string;
        Properties: Record<string, unknown> & {
          Environment?: { Variables?: Record<string, unknown> };
          KeySpec?: string;
          KeyUsage?: string;
          ScheduleExpression?: string;
        };
      }
    >;
    const [bucketId, bucket] = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::S3::Bucket' && id.startsWith('AuditBucket'),
    ) ?? [undefined, undefined];
    // Object Lock in governance mode by default, SSE-KMS with the stack's key, versioned.
    expect(bucket?.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] },
            },
          },
        ],
      },
    });
    // The signing key: ECC P-256 for signing only.
    const signingKeys = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::KMS::Key' && r.Properties.KeySpec === 'ECC_NIST_P256',
    );
    expect(signingKeys).toHaveLength(1);
    const [signingKeyId, signingKey] = signingKeys[0] ?? [];
    expect(signingKey?.Properties.KeyUsage).toBe('SIGN_VERIFY');
    // A daily rule runs the signer, which alone may Sign with the key and knows its id.
    const [signerId, signer] =
      Object.entries(resources).find(
        ([, r]) =>
          r.Type === 'AWS::Lambda::Function' &&
          r.Properties.Environment?.Variables?.MEDIAGATE_STEP === 'sign-audit-heads',
      ) ?? [];
    expect(signer?.Properties.Environment?.Variables?.AUDIT_SIGNING_KEY_ID).toEqual({
      'Fn::GetAtt': [signingKeyId, 'Arn'],
    });
    const schedules = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression === 'cron(5 0 * * ? *)',
    );
    expect(schedules).toHaveLength(1);
    expect(JSON.stringify(schedules[0]?.Properties.Targets)).toContain(`"${signerId}"`);
    const signers = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.PolicyDocument).includes('kms:Sign'),
    );
    expect(signers).toHaveLength(1);
    expect(JSON.stringify(signers[0]?.Properties.Roles)).toContain('SignAuditHeadsFunction');
    // Every audited step and the signer know the bucket.
    for (const fn of Object.values(resources).filter((r) =>
      /^(validate-and-strip|dlp-check|invoke-model|record-cost|sign-audit-heads)$/.test(
        String(r.Properties?.Environment?.Variables?.MEDIAGATE_STEP),
      ),
    )) {
      expect(fn.Properties.Environment?.Variables?.AUDIT_BUCKET).toEqual({ Ref: bucketId });
    }
  });

  it('puts the audit bucket in compliance mode as a deployment setting, refusing other modes', () => {
    const compliance = synthesizeMediagate({
      stackProps: {
        settings: { MEDIAGATE_AUDIT_LOCK_MODE: 'compliance', MEDIAGATE_AUDIT_RETENTION_DAYS: '2555' },
      },
    });
    Template.fromJSON(compliance.template).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
    expect(() =>
      synthesizeMediagate({ stackProps: { settings: { MEDIAGATE_AUDIT_LOCK_MODE: 'legal-hold' } } }),
    ).toThrow(/MEDIAGATE_AUDIT_LOCK_MODE/);
  });

  it('passes deployment settings to every function and refuses a malformed one at synth time', () => {
    // Act
    const withSettings = synthesizeMediagate({
      stackProps: {
        settings: { MEDIAGATE_MAX_PIXELS: '80000000', MEDIAGATE_BREAKER_POLICY: '{"coolDownMs":60000}' },
      },
    });

    // Assess
    const functions = Object.values(withSettings.template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties).includes('MEDIAGATE_STEP'),
    );
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const fn of functions) {
      expect(JSON.stringify(fn.Properties)).toContain('"MEDIAGATE_MAX_PIXELS":"80000000"');
    }
    expect(() => synthesizeMediagate({ stackProps: { settings: { MEDIAGATE_MAX_PIXELS: 'lots' } } })).toThrow(
      /MEDIAGATE_MAX_PIXELS/,
    );
    expect(() =>
      synthesizeMediagate({ stackProps: { settings: { MEDIAGATE_BREAKER_POLICY: '{"cooldownMs":1}' } } }),
    ).toThrow(/unknown fields: cooldownMs/);
    expect(() => synthesizeMediagate({ stackProps: { settings: { MEDIAGATE_OCR: 'none' } } })).toThrow(
      /not a deployment setting/,
    );
  });
});

describe('the media layers as assets', () => {
  /** The S3 key of each layer's asset, synthesized as the local stack does (bundling skipped). */
  function layerKeys(): Record<string, unknown> {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-synth-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Layers');
      new MediaLayers(stack, 'Layers', { architecture: Architecture.X86_64 });
      const layers = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
      return Object.fromEntries(
        Object.entries(layers).map(([id, layer]) => [id, layer.Properties.Content.S3Key]),
      );
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('hashes each layer by what it is made of, not by what lies in its build directory', () => {
    // Prepare: the keys now, then a stray file in every layer's build directory (another synth building)
    const before = layerKeys();
    const strays = ['sharp', 'ffmpeg', 'tokenizer', 'documents'].map((name) =>
      path.resolve(import.meta.dirname, '..', '..', 'layers', name, 'build', '.stray-from-a-test'),
    );
    try {
      for (const stray of strays) {
        fs.mkdirSync(path.dirname(stray), { recursive: true });
        fs.writeFileSync(stray, String(Math.random()));
      }

      // Act
      const after = layerKeys();

      // Assess
      expect(Object.keys(before)).toHaveLength(4);
      expect(after).toEqual(before);
    } finally {
      for (const stray of strays) fs.rmSync(stray, { force: true });
    }
  });
});
