import {
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { checkPolicyOverrides } from '../../functions/config/policy-overrides.js';
import { loadConfig } from '../../functions/config/settings.js';
import budgets from '../../functions/money/budgets.json' with { type: 'json' };
import { AnalyzeEndpoint } from '../constructs/analyze-endpoint.js';
import { BudgetAlarms } from '../constructs/budget-alarms.js';
import { IngestTrigger } from '../constructs/ingest-trigger.js';
import { MediaBucket } from '../constructs/media-bucket.js';
import { MediaFunction } from '../constructs/media-function.js';
import { MediaLayers } from '../constructs/media-layers.js';
import { PipelineStateMachine } from '../constructs/pipeline-state-machine.js';
import { PipelineTables } from '../constructs/pipeline-tables.js';
import { PresignEndpoint } from '../constructs/presign-endpoint.js';
import { ResultsPiiScan } from '../constructs/results-pii-scan.js';
import { grantItems, grantObjectRead, grantObjectWrite, grantTranscriptionJobs } from '../grants.js';

export interface MediagateStackProps extends StackProps {
  /** @default Architecture.X86_64 (the sharp and ffmpeg layers are built for it from this machine's node_modules) */
  readonly architecture?: Architecture;
  /** Days an upload stays in the ingest bucket; the pipeline finishes well within it. @default 7 */
  readonly ingestRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Create the Macie session (off where the account already has Macie enabled). @default true */
  readonly enableMacie?: boolean;
  /**
   * Deployment settings passed to every function (`MEDIAGATE_*` and `OPENAI_TIMEOUT_MS`: limits, model
   * endpoints, retry and breaker policies; see docs/architecture.md). Checked with the functions' own
   * config parser at synth time, so a typo fails `cdk synth`, not the first upload.
   * @default - none: the defaults in functions/config/settings.ts
   */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Settings the stack itself sets, which a deployment may not override. */
const STACK_OWNED_SETTINGS = new Set([
  'MEDIAGATE_STEP',
  'MEDIAGATE_PII_DETECTOR',
  'MEDIAGATE_OCR',
  'MEDIAGATE_TRANSCRIBER',
]);

/**
 * `MEDIAGATE_INVOKE_MODEL_CONCURRENCY`: InvokeModel's reserved concurrency, so a burst cannot starve the
 * account's other functions or open more connections than the OpenAI quota serves; `0` reserves none.
 */
const DEFAULT_INVOKE_MODEL_CONCURRENCY = 25;

export function invokeModelConcurrency(settings: Readonly<Record<string, string>>): number | undefined {
  const value = settings.MEDIAGATE_INVOKE_MODEL_CONCURRENCY;
  if (value === undefined) return DEFAULT_INVOKE_MODEL_CONCURRENCY;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`MEDIAGATE_INVOKE_MODEL_CONCURRENCY must be a whole number ≥ 0; got "${value}"`);
  }
  return parsed === 0 ? undefined : parsed;
}

function checkSettings(settings: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(settings)) {
    if (!/^MEDIAGATE_[A-Z0-9_]+$|^OPENAI_TIMEOUT_MS$/.test(name) || STACK_OWNED_SETTINGS.has(name)) {
      throw new Error(`setting ${name} is not a deployment setting (MEDIAGATE_* or OPENAI_TIMEOUT_MS)`);
    }
  }
  // The functions' own parsers: they throw with the setting's name on a malformed value.
  const { openai } = loadConfig(settings);
  checkPolicyOverrides(openai.retryPolicy, openai.breakerPolicy);
  invokeModelConcurrency(settings);
}

export class MediagateStack extends Stack {
  constructor(scope: Construct, id: string, props: MediagateStackProps = {}) {
    super(scope, id, props);
    const architecture = props.architecture ?? Architecture.X86_64;
    const settings = props.settings ?? {};
    checkSettings(settings);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const key = new Key(this, 'DataKey', {
      description: 'mediagate: media, tables, queues, logs and the OpenAI secret',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch Logs encrypts our log groups with this key.
    key.grantEncryptDecrypt(new ServicePrincipal(`logs.${this.region}.amazonaws.com`));

    const accessLogs = new Bucket(this, 'AccessLogs', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log target; logging it into itself would loop.',
    });

    const bucket = (id: string, extra: { expireAfterDays?: number; eventBridgeEnabled?: boolean } = {}) =>
      new MediaBucket(this, id, { encryptionKey: key, accessLogsBucket: accessLogs, removalPolicy, ...extra })
        .bucket;
    const ingest = bucket('Ingest', {
      expireAfterDays: props.ingestRetentionDays ?? 7,
      eventBridgeEnabled: true,
    });
    const processed = bucket('Processed', { expireAfterDays: 30 });
    const results = bucket('Results');
    const quarantine = bucket('Quarantine', { expireAfterDays: 90 });

    const tables = new PipelineTables(this, 'Tables', { encryptionKey: key, removalPolicy });
    const outcomeBus = new EventBus(this, 'Outcomes', {
      description: 'mediagate outcome and budget events',
      kmsKey: key,
    });
    outcomeBus.archive('OutcomeArchive', {
      description: 'Replayable history of outcome events',
      eventPattern: { source: ['mediagate'] },
      retention: Duration.days(30),
    });

    const openAiKey = new Secret(this, 'OpenAiApiKey', {
      description: 'OpenAI API key for the model step. Set its value after deploy: see README.',
      encryptionKey: key,
      removalPolicy,
    });
    Validations.of(openAiKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'OpenAI keys are issued by OpenAI; AWS cannot rotate them. Rotate in the OpenAI console and put the new value.',
    });

    const layers = new MediaLayers(this, 'Layers', { architecture });
    const environment = {
      ...settings,
      INGEST_BUCKET: ingest.bucketName,
      PROCESSED_BUCKET: processed.bucketName,
      RESULTS_BUCKET: results.bucketName,
      QUARANTINE_BUCKET: quarantine.bucketName,
      LEDGER_TABLE: tables.ledger.tableName,
      STATE_TABLE: tables.state.tableName,
      EVENT_BUS_NAME: outcomeBus.eventBusName,
      MEDIAGATE_PII_DETECTOR: 'comprehend',
      MEDIAGATE_OCR: 'textract',
      MEDIAGATE_TRANSCRIBER: 'transcribe',
    };
    const fn = (
      id: string,
      step: string,
      description: string,
      extra: {
        media?: boolean;
        /** Gets the tokenizer layer, for the pre-flight estimate. */
        tokenizer?: boolean;
        /** Gets the documents layer (MuPDF, libheif), for PDF and HEIC uploads. */
        documents?: boolean;
        memorySize?: number;
        timeout?: Duration;
        environment?: Record<string, string>;
        reservedConcurrentExecutions?: number;
      } = {},
    ) =>
      new MediaFunction(this, id, {
        step,
        description,
        architecture,
        logKey: key,
        memorySize: extra.memorySize,
        timeout: extra.timeout,
        layers: extra.media
          ? [layers.sharp, layers.ffmpeg, ...(extra.documents ? [layers.documents] : [])]
          : extra.tokenizer
            ? [layers.tokenizer]
            : undefined,
        externalModules: extra.media
          ? [...MediaLayers.EXTERNAL_MODULES, ...(extra.documents ? MediaLayers.DOCUMENT_MODULES : [])]
          : extra.tokenizer
            ? [...MediaLayers.TOKENIZER_MODULES]
            : undefined,
        environment: { ...environment, ...extra.environment },
        reservedConcurrentExecutions: extra.reservedConcurrentExecutions,
      }).function;

    const validateAndStrip = fn(
      'ValidateAndStripFunction',
      'validate-and-strip',
      'Sniff type, enforce limits, strip metadata',
      {
        media: true,
        documents: true,
        memorySize: 2048,
        timeout: Duration.seconds(90),
      },
    );
    grantObjectRead(validateAndStrip, ingest, key, 'incoming/');
    grantObjectRead(validateAndStrip, ingest, key, 'realtime/');
    grantObjectWrite(validateAndStrip, processed, key, 'sanitized/');
    grantObjectWrite(validateAndStrip, quarantine, key, 'quarantine/');

    const preprocess = fn('PreprocessFunction', 'preprocess', 'Resize images, resample audio', {
      media: true,
      memorySize: 2048,
      timeout: Duration.seconds(120),
    });
    grantObjectRead(preprocess, processed, key, 'sanitized/');
    grantObjectWrite(preprocess, processed, key, 'processed/');
    // A rejection here (TOO_LARGE, CORRUPT) quarantines the original: a copy from ingest, as in ValidateAndStrip.
    grantObjectRead(preprocess, ingest, key, 'incoming/');
    grantObjectRead(preprocess, ingest, key, 'realtime/');
    grantObjectWrite(preprocess, quarantine, key, 'quarantine/');
    // Cache first: a hit is read from the state table and its answer written for this item.
    grantItems(preprocess, tables.state, key, ['read']);
    grantObjectWrite(preprocess, results, key, 'results/');

    const dlpCheck = fn(
      'DlpCheckFunction',
      'dlp-check',
      'Find PII in text, OCR and transcripts; apply tenant policy',
      {
        media: true,
        memorySize: 1024,
        timeout: Duration.seconds(120),
        environment: { MEDIAGATE_TRANSCRIPT_KMS_KEY: key.keyArn },
      },
    );
    grantObjectRead(dlpCheck, ingest, key, 'incoming/');
    grantObjectRead(dlpCheck, ingest, key, 'realtime/');
    grantObjectRead(dlpCheck, processed, key, 'processed/');
    grantObjectWrite(dlpCheck, processed, key, 'redacted/');
    grantObjectWrite(dlpCheck, processed, key, 'prompts/');
    // Transcribe reads processed/ and writes transcripts/ as this role; names: functions/dlp-check/check-item.ts.
    grantTranscriptionJobs(dlpCheck, key, 'mg-*-dlp');
    grantObjectWrite(dlpCheck, results, key, 'transcripts/');
    grantObjectRead(dlpCheck, results, key, 'transcripts/');
    // Comprehend, Textract and Transcribe charges: one ledger item per service, written before DlpCheck returns.
    grantItems(dlpCheck, tables.ledger, key, ['write']);
    // DLP spend counts against the tenant budget (state table); a threshold it crosses is an event.
    grantItems(dlpCheck, tables.state, key, ['read', 'write']);
    outcomeBus.grantPutEventsTo(dlpCheck);
    dlpCheck.addToRolePolicy(
      new PolicyStatement({
        // Comprehend and Textract's synchronous APIs have no resource-level permissions.
        actions: [
          'comprehend:DetectPiiEntities',
          'comprehend:DetectDominantLanguage',
          'textract:DetectDocumentText',
        ],
        resources: ['*'],
      }),
    );

    const invokeModel = fn(
      'InvokeModelFunction',
      'invoke-model',
      'Call GPT-4o with retries, breaker, cache',
      {
        tokenizer: true,
        memorySize: 512,
        timeout: Duration.seconds(150),
        environment: { OPENAI_API_KEY_SECRET_ARN: openAiKey.secretArn },
        reservedConcurrentExecutions: invokeModelConcurrency(settings),
      },
    );
    grantObjectRead(invokeModel, processed, key, 'processed/');
    // The original's metadata (the instructions as sent) is part of the result-cache key.
    grantObjectRead(invokeModel, ingest, key, 'incoming/');
    grantObjectRead(invokeModel, ingest, key, 'realtime/');
    grantObjectRead(invokeModel, processed, key, 'redacted/');
    grantObjectRead(invokeModel, processed, key, 'prompts/');
    grantObjectWrite(invokeModel, results, key, 'results/');
    openAiKey.grantRead(invokeModel);
    // The state table holds the shared breaker, the result cache and the budget reservations.
    grantItems(invokeModel, tables.state, key, ['read', 'write']);
    // Attempts of unknown outcome (timeouts, resets) are written as exposure the moment they happen.
    grantItems(invokeModel, tables.ledger, key, ['write']);
    outcomeBus.grantPutEventsTo(invokeModel);

    const recordCost = fn(
      'RecordCostFunction',
      'record-cost',
      'Write the model call into the cost ledger once',
      {
        timeout: Duration.seconds(30),
      },
    );
    grantItems(recordCost, tables.ledger, key, ['read', 'write']);
    // Settles the budget reservation; threshold crossings go out on the bus.
    grantItems(recordCost, tables.state, key, ['read', 'write']);
    outcomeBus.grantPutEventsTo(recordCost);

    // One definition of the steps, two workflow types: uploads (Standard) and POST /v1/analyze (Express).
    const steps = { validateAndStrip, preprocess, dlpCheck, invokeModel, recordCost };
    const pipeline = new PipelineStateMachine(this, 'Pipeline', { steps, outcomeBus, logKey: key });
    const realtime = new PipelineStateMachine(this, 'RealtimePipeline', {
      steps,
      outcomeBus,
      logKey: key,
      workflow: 'express',
    });

    for (const machine of [pipeline, realtime]) {
      const stateMachinePolicy = machine.stateMachine.role.node.tryFindChild('DefaultPolicy');
      if (!stateMachinePolicy) continue;
      for (const step of Object.values(steps)) {
        Validations.of(stateMachinePolicy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(step.node.defaultChild as CfnElement)}.Arn>:*]`,
          reason:
            'LambdaInvoke grants the function and its versions/aliases (ARN:*); the state machine invokes only these five.',
        });
      }
    }

    const starter = fn(
      'StartExecutionFunction',
      'start-execution',
      'Start one execution per uploaded object version',
      {
        timeout: Duration.seconds(30),
        environment: { STATE_MACHINE_ARN: pipeline.stateMachine.stateMachineArn },
      },
    );
    new IngestTrigger(this, 'IngestTrigger', {
      ingestBucket: ingest,
      starter,
      stateMachine: pipeline.stateMachine,
      encryptionKey: key,
    });

    const presigner = fn('PresignUploadFunction', 'presign-upload', 'Mint presigned POSTs for uploads', {
      timeout: Duration.seconds(10),
    });
    const presign = new PresignEndpoint(this, 'PresignEndpoint', {
      presigner,
      ingestBucket: ingest,
      encryptionKey: key,
    });

    const analyzer = fn(
      'AnalyzeFunction',
      'analyze',
      'POST /v1/analyze: one item through the Express workflow',
      {
        memorySize: 512,
        // The Express workflow's own limit (2 min) and a margin to answer.
        timeout: Duration.seconds(150),
        environment: {
          EXPRESS_STATE_MACHINE_ARN: realtime.stateMachine.stateMachineArn,
          PRESIGN_URL: presign.url,
        },
      },
    );
    const analyzeEndpoint = new AnalyzeEndpoint(this, 'AnalyzeEndpoint', {
      analyzer,
      workflow: realtime.stateMachine,
      ingestBucket: ingest,
      resultsBucket: results,
      encryptionKey: key,
    });

    // eventBridgeEnabled is applied by CDK's shared BucketNotificationsHandler custom resource.
    const notificationsHandler = this.node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK-owned custom resource that turns on EventBridge delivery for the ingest bucket; it runs only at deploy time.',
      });
    }

    new BudgetAlarms(this, 'BudgetAlarms', { tiers: budgets.tiers });

    new ResultsPiiScan(this, 'ResultsPiiScan', {
      resultsBucket: results,
      encryptionKey: key,
      findingsBus: outcomeBus,
      enableMacie: props.enableMacie,
    });

    new CfnOutput(this, 'IngestBucketName', { value: ingest.bucketName });
    new CfnOutput(this, 'OutcomeBusName', { value: outcomeBus.eventBusName });
    new CfnOutput(this, 'LedgerTableName', {
      description: 'Cost ledger for finance: mediagate costs --aws --table <this>, docs/finance.md',
      value: tables.ledger.tableName,
    });
    new CfnOutput(this, 'OpenAiSecretArn', { value: openAiKey.secretArn });
    new CfnOutput(this, 'PresignUrl', { value: presign.url });
    new CfnOutput(this, 'AnalyzeUrl', { value: analyzeEndpoint.url });
  }
}
