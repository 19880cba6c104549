import {
  AspectPriority,
  Aspects,
  type CfnElement,
  CfnOutput,
  Duration,
  Names,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { CfnArchive, EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AUDIT_QUEUE_PARTITION_PREFIX } from '../../functions/audit/queue.js';
import { checkPolicyOverrides } from '../../functions/config/policy-overrides.js';
import { loadConfig } from '../../functions/config/settings.js';
import { allRoutes } from '../../functions/model/routes.js';
import budgets from '../../functions/money/budgets.json' with { type: 'json' };
import { AlarmTopic, NotifyEveryAlarm } from '../constructs/alarm-topic.js';
import { AnalyzeEndpoint } from '../constructs/analyze-endpoint.js';
import { AuditTrail, auditSettings } from '../constructs/audit-trail.js';
import { BudgetAlarms } from '../constructs/budget-alarms.js';
import { IngestTrigger } from '../constructs/ingest-trigger.js';
import { MediaBucket } from '../constructs/media-bucket.js';
import { MediaFunction } from '../constructs/media-function.js';
import { MediaLayers } from '../constructs/media-layers.js';
import { PipelineAlarms } from '../constructs/pipeline-alarms.js';
import { PipelineDashboard } from '../constructs/pipeline-dashboard.js';
import { PipelineStateMachine } from '../constructs/pipeline-state-machine.js';
import { PipelineTables } from '../constructs/pipeline-tables.js';
import { PresignEndpoint } from '../constructs/presign-endpoint.js';
import { ResultsPiiScan } from '../constructs/results-pii-scan.js';
import { type ItemAction, TENANT, TenantDataRole } from '../constructs/tenant-data-role.js';
import {
  DATA_KEY_ENV,
  grantItems,
  grantObjectRead,
  grantObjectWrite,
  grantOrgItems,
  grantTranscriptionJobs,
  TENANT_ROLE_ENV,
  TENANT_TAG,
} from '../grants.js';
import { acknowledge, NAG_RULES } from '../nag.js';
import { isStackSetting, parseStackSettings } from '../stack-settings.js';

/** The ledger adapter's one transaction: Put the item (once, by condition), Update the aggregates. Never Delete. */
const LEDGER_WRITE: readonly ItemAction[] = ['PutItem', 'UpdateItem'];
/** The budget store (functions/adapters/dynamodb-budget-store.ts): counters, reservations, their index, alerts. */
const BUDGET_ITEMS: readonly ItemAction[] = ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'];
/** Organisation-wide partitions on the state table: circuit breakers and the organisation's rate buckets. */
const ORG_LEADING_KEYS = ['breaker#*', 'ORG#*'];

export interface MediagateStackProps extends StackProps {
  /** @default Architecture.X86_64 (the sharp and ffmpeg layers are built for it from this machine's node_modules) */
  readonly architecture?: Architecture;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Create the Macie session (off where the account already has Macie enabled). @default true */
  readonly enableMacie?: boolean;
  /**
   * Deployment settings (`MEDIAGATE_*` and `OPENAI_TIMEOUT_MS`; see docs/architecture.md): limits, model
   * endpoints, retry and breaker policies go to every function; alarm recipients and thresholds, raw-upload
   * retention and reserved concurrency are the stack's own (infra/stack-settings.ts). Checked with the
   * functions' own config parser at synth time, so a typo fails `cdk synth`, not the first upload.
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
  TENANT_ROLE_ENV,
  DATA_KEY_ENV,
]);

function checkSettings(settings: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(settings)) {
    if (!/^MEDIAGATE_[A-Z0-9_]+$|^OPENAI_TIMEOUT_MS$/.test(name) || STACK_OWNED_SETTINGS.has(name)) {
      throw new Error(`setting ${name} is not a deployment setting (MEDIAGATE_* or OPENAI_TIMEOUT_MS)`);
    }
  }
  // The functions' own parsers: they throw with the setting's name on a malformed value.
  const { openai } = loadConfig(settings);
  checkPolicyOverrides(openai.retryPolicy, openai.breakerPolicy);
  auditSettings(settings);
}

export class MediagateStack extends Stack {
  constructor(scope: Construct, id: string, props: MediagateStackProps = {}) {
    super(scope, id, props);
    const architecture = props.architecture ?? Architecture.X86_64;
    const settings = props.settings ?? {};
    checkSettings(settings);
    const stackSettings = parseStackSettings(settings);
    const functionSettings = Object.fromEntries(
      Object.entries(settings).filter(([name]) => !isStackSetting(name)),
    );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const key = new Key(this, 'DataKey', {
      description: 'mediagate: media, tables, queues, logs and the OpenAI secret',
      enableKeyRotation: true,
      removalPolicy,
    });
    allowServicesToUseKey(this, key);

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
    acknowledge(
      accessLogs,
      NAG_RULES.bucketKmsEncryption,
      'S3 server access logging delivers only to SSE-S3 buckets; the logs hold request metadata, never media.',
    );
    acknowledge(
      accessLogs,
      NAG_RULES.bucketReplication,
      'Access logs of this deployment, kept 90 days for investigations; a second-region copy adds no control the versioned bucket lacks.',
    );

    const bucket = (
      id: string,
      whyNotReplicated: string,
      extra: {
        expireAfterDays?: number;
        noncurrentVersionExpirationDays?: number;
        eventBridgeEnabled?: boolean;
      },
    ) => {
      const created = new MediaBucket(this, id, {
        encryptionKey: key,
        accessLogsBucket: accessLogs,
        removalPolicy,
        ...extra,
      }).bucket;
      acknowledge(created, NAG_RULES.bucketReplication, whyNotReplicated);
      return created;
    };
    // Raw, unsanitised uploads: the current version expires a day before the retention ends and the
    // version that leaves behind a day later, so no copy outlives MEDIAGATE_RAW_RETENTION_DAYS.
    const ingest = bucket(
      'Ingest',
      'Raw uploads must not outlive the raw-retention setting; a replica would be a second copy of unsanitised media to expire, and the pipeline reads them within minutes.',
      {
        expireAfterDays: stackSettings.rawRetentionDays - 1,
        noncurrentVersionExpirationDays: 1,
        eventBridgeEnabled: true,
      },
    );
    const processed = bucket(
      'Processed',
      'Intermediate files the pipeline recreates from the upload; lost ones are produced again by a redrive, so a replica protects nothing.',
      { expireAfterDays: 30 },
    );
    const results = bucket(
      'Results',
      "Model answers and transcripts, versioned; the ledger and outcome events hold each item's record, and a second-region copy of text that may echo PII would widen its exposure.",
      {},
    );
    const quarantine = bucket(
      'Quarantine',
      'Rejected originals kept 90 days for investigation only; a replica would be a second copy of media refused for policy.',
      { expireAfterDays: 90 },
    );

    const audit = new AuditTrail(this, 'Audit', {
      ...auditSettings(settings),
      encryptionKey: key,
      accessLogsBucket: accessLogs,
      removalPolicy,
    });

    const tables = new PipelineTables(this, 'Tables', { encryptionKey: key, removalPolicy });
    const outcomeBus = new EventBus(this, 'Outcomes', {
      description: 'mediagate outcome and budget events',
      kmsKey: key,
    });
    encryptedArchive(outcomeBus, key, {
      description: 'Replayable history of outcome events',
      eventPattern: { source: ['mediagate'] },
      retentionDays: 30,
    });

    const openAiKey = new Secret(this, 'OpenAiApiKey', {
      description: 'OpenAI API key for the model step. Set its value after deploy: see README.',
      encryptionKey: key,
      removalPolicy,
    });
    acknowledge(
      openAiKey,
      NAG_RULES.secretRotation,
      'OpenAI keys are issued by OpenAI; AWS cannot rotate them. Rotate in the OpenAI console and put the new value.',
    );

    const layers = new MediaLayers(this, 'Layers', { architecture });
    const environment = {
      ...functionSettings,
      INGEST_BUCKET: ingest.bucketName,
      PROCESSED_BUCKET: processed.bucketName,
      RESULTS_BUCKET: results.bucketName,
      QUARANTINE_BUCKET: quarantine.bucketName,
      AUDIT_BUCKET: audit.bucket.bucketName,
      LEDGER_TABLE: tables.ledger.tableName,
      STATE_TABLE: tables.state.tableName,
      EVENT_BUS_NAME: outcomeBus.eventBusName,
      MEDIAGATE_PII_DETECTOR: 'comprehend',
      MEDIAGATE_OCR: 'textract',
      MEDIAGATE_TRANSCRIBER: 'transcribe',
      // Steps write objects with SSE-KMS under this key and a `tenant` encryption context.
      [DATA_KEY_ENV]: key.keyArn,
    };
    /** Every function, for the alarms. */
    const mediaFunctions: MediaFunction[] = [];
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
      } = {},
    ) => {
      const created = new MediaFunction(this, id, {
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
        reservedConcurrentExecutions: stackSettings.reservedConcurrency(step),
        invokedBy: INVOKED_BY[step] ?? "the state machines' LambdaInvoke tasks",
      });
      mediaFunctions.push(created);
      return created.function;
    };

    const tenantData = (id: string, step: LambdaFunction) => new TenantDataRole(this, id, { fn: step, key });

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
    // Every step reaches tenant data only through its tenant-data role, one session per item's tenant.
    const validateAndStripData = tenantData('ValidateAndStripTenantData', validateAndStrip);
    validateAndStripData.readObjects(ingest, 'incoming/');
    validateAndStripData.readObjects(ingest, 'realtime/');
    validateAndStripData.writeObjects(processed, 'sanitized/');
    validateAndStripData.writeObjects(quarantine, 'quarantine/');
    // The tenant's registry record: a suspended tenant's item, or a task the tenant may not use, stops here.
    // Cache first: a hit is read from the same table (the tenant's result items) and its answer written
    // for this item.
    validateAndStripData.items(tables.state, ['GetItem']);
    validateAndStripData.writeObjects(results, 'results/');
    // The audit trail: each audited step queues its decision with its own role (an operator's record, not
    // tenant data), a put into the queue partitions and nothing else; the chainer below appends them.
    const grantAudit = (step: typeof validateAndStrip) => {
      grantOrgItems(step, tables.state, key, ['PutItem'], [`${AUDIT_QUEUE_PARTITION_PREFIX}*`]);
    };
    grantAudit(validateAndStrip);

    const preprocess = fn('PreprocessFunction', 'preprocess', 'Resize images, resample audio', {
      media: true,
      memorySize: 2048,
      timeout: Duration.seconds(120),
    });
    const preprocessData = tenantData('PreprocessTenantData', preprocess);
    preprocessData.readObjects(processed, 'sanitized/');
    preprocessData.writeObjects(processed, 'processed/');
    // A rejection here (TOO_LARGE, CORRUPT) quarantines the original: a copy from ingest, as in ValidateAndStrip.
    preprocessData.readObjects(ingest, 'incoming/');
    preprocessData.readObjects(ingest, 'realtime/');
    preprocessData.writeObjects(quarantine, 'quarantine/');

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
    const dlpCheckData = tenantData('DlpCheckTenantData', dlpCheck);
    dlpCheckData.readObjects(ingest, 'incoming/');
    dlpCheckData.readObjects(ingest, 'realtime/');
    dlpCheckData.readObjects(processed, 'processed/');
    dlpCheckData.writeObjects(processed, 'redacted/');
    dlpCheckData.writeObjects(processed, 'prompts/');
    // A reused DLP verdict (functions/dlp/verdict-cache.ts) copies the first scan's prompt and redacted image.
    dlpCheckData.readObjects(processed, 'redacted/');
    dlpCheckData.readObjects(processed, 'prompts/');
    // Transcribe reads processed/ and writes transcripts/ as the tenant session that starts the job, so the
    // job sees only this tenant's prefixes; names: functions/dlp-check/check-item.ts.
    grantTranscriptionJobs(dlpCheckData, key, 'mg-*-dlp', {
      [`kms:EncryptionContext:${TENANT_TAG}`]: TENANT,
    });
    dlpCheckData.writeObjects(results, 'transcripts/');
    dlpCheckData.readObjects(results, 'transcripts/');
    // Comprehend, Textract and Transcribe charges: one ledger item per service, written before DlpCheck returns.
    dlpCheckData.items(tables.ledger, LEDGER_WRITE);
    // DLP spend counts against the tenant budget (state table); a threshold it crosses is an event.
    dlpCheckData.items(tables.state, BUDGET_ITEMS);
    outcomeBus.grantPutEventsTo(dlpCheck);
    grantAudit(dlpCheck);
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
      },
    );
    const invokeModelData = tenantData('InvokeModelTenantData', invokeModel);
    invokeModelData.readObjects(processed, 'processed/');
    // The original's metadata (the instructions as sent) is part of the result-cache key.
    invokeModelData.readObjects(ingest, 'incoming/');
    invokeModelData.readObjects(ingest, 'realtime/');
    invokeModelData.readObjects(processed, 'redacted/');
    invokeModelData.readObjects(processed, 'prompts/');
    invokeModelData.writeObjects(results, 'results/');
    openAiKey.grantRead(invokeModel);
    // The tenant's result cache entries (Get, Put) and budget reservations, through the tenant session.
    invokeModelData.items(tables.state, BUDGET_ITEMS);
    // The shared breaker and the organisation's rate buckets are no tenant's: the function's own role.
    grantOrgItems(invokeModel, tables.state, key, ['GetItem', 'PutItem', 'UpdateItem'], ORG_LEADING_KEYS);
    // Attempts of unknown outcome (timeouts, resets) are written as exposure the moment they happen.
    invokeModelData.items(tables.ledger, LEDGER_WRITE);
    outcomeBus.grantPutEventsTo(invokeModel);
    grantAudit(invokeModel);

    const recordCost = fn(
      'RecordCostFunction',
      'record-cost',
      'Write the model call into the cost ledger once',
      {
        timeout: Duration.seconds(30),
      },
    );
    const recordCostData = tenantData('RecordCostTenantData', recordCost);
    recordCostData.items(tables.ledger, LEDGER_WRITE);
    // Settles the budget reservation; threshold crossings go out on the bus.
    recordCostData.items(tables.state, BUDGET_ITEMS);
    outcomeBus.grantPutEventsTo(recordCost);
    grantAudit(recordCost);

    const auditSigner = fn(
      'SignAuditHeadsFunction',
      'sign-audit-heads',
      'Sign every tenant audit chain head (daily)',
      {
        timeout: Duration.minutes(5),
      },
    );
    grantItems(auditSigner, tables.state, key, ['read']);
    grantObjectRead(auditSigner, audit.bucket, key, 'records/');
    grantObjectWrite(auditSigner, audit.bucket, key, 'records/');
    grantObjectRead(auditSigner, audit.bucket, key, 'heads/');
    grantObjectWrite(auditSigner, audit.bucket, key, 'heads/');
    audit.scheduleSigner(auditSigner);

    // The audit chainer: alone (reserved concurrency 1) it appends the queued decisions to each tenant's
    // chain (heads in TENANT#<t>#AUDIT, records in the audit bucket) and removes them from the queue.
    const auditChainer = fn(
      'ChainAuditFunction',
      'chain-audit',
      'Append queued audit decisions to each tenant chain (every minute)',
      { timeout: Duration.minutes(2) },
    );
    grantOrgItems(
      auditChainer,
      tables.state,
      key,
      ['Query', 'BatchWriteItem'],
      [`${AUDIT_QUEUE_PARTITION_PREFIX}*`],
    );
    grantOrgItems(auditChainer, tables.state, key, ['GetItem', 'PutItem'], ['TENANT#*#AUDIT']);
    grantObjectRead(auditChainer, audit.bucket, key, 'records/');
    grantObjectWrite(auditChainer, audit.bucket, key, 'records/');
    audit.grantList(auditChainer, ['records/']);
    // A scheduled tick carries no data, so a tick EventBridge cannot deliver needs no dead-letter queue:
    // the next one does the same work, and each scheduled function has error and throttle alarms.
    const everyMinutes = (id: string, target: typeof auditChainer, minutes: number, description: string) =>
      acknowledge(
        new Rule(this, id, {
          description,
          schedule: Schedule.rate(Duration.minutes(minutes)),
          targets: [new LambdaTarget(target, { retryAttempts: 2 })],
        }),
        ['Serverless-EventBusDLQ'],
        `A scheduled tick carries no data: one that EventBridge cannot deliver is made good by the next, ${String(minutes)} minute(s) later, and the function has error and throttle alarms.`,
      );
    everyMinutes(
      'ChainAuditSchedule',
      auditChainer,
      1,
      'Every minute: append the queued audit decisions to the tenant chains',
    );

    // Expired budget reservations (their execution died) are given back on a schedule, across tenants, so a
    // dead item holds no tenant's cap until that tenant's next reserve happens to reclaim it.
    const sweeper = fn(
      'SweepReservationsFunction',
      'sweep-reservations',
      'Give back budget reservations whose execution died',
      { timeout: Duration.minutes(2) },
    );
    grantItems(sweeper, tables.state, key, ['read', 'write']);
    sweeper.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${tables.state.tableArn}/index/byExpiry`],
      }),
    );
    everyMinutes(
      'SweepReservationsSchedule',
      sweeper,
      5,
      'Every 5 minutes: expire budget reservations of executions that died',
    );

    // One definition of the steps, two workflow types: uploads (Standard) and POST /v1/analyze (Express).
    const steps = { validateAndStrip, preprocess, dlpCheck, invokeModel, recordCost };
    const pipeline = new PipelineStateMachine(this, 'Pipeline', { steps, outcomeBus, encryptionKey: key });
    const realtime = new PipelineStateMachine(this, 'RealtimePipeline', {
      steps,
      outcomeBus,
      encryptionKey: key,
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
      acknowledge(
        stateMachinePolicy,
        NAG_RULES.inlinePolicy,
        `The ${machine.node.id} role's statements (invoke the five steps, put outcome events, logs, X-Ray, its key) serve only this state machine; a managed policy could be attached elsewhere.`,
      );
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
    const ingestTrigger = new IngestTrigger(this, 'IngestTrigger', {
      ingestBucket: ingest,
      starter,
      stateMachine: pipeline.stateMachine,
      encryptionKey: key,
      maxConcurrency: stackSettings.reservedConcurrency('start-execution'),
    });
    pipeline.grantKeyUse(starter);

    const presigner = fn('PresignUploadFunction', 'presign-upload', 'Mint presigned POSTs for uploads', {
      timeout: Duration.seconds(10),
    });
    // The presign function reads the tenant registry: the caller's tenant binding and the tenant's status.
    grantItems(presigner, tables.state, key, ['read']);
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
    // The caller's tenant binding and the tenant's status, from the registry.
    grantItems(analyzer, tables.state, key, ['read']);
    const analyzeEndpoint = new AnalyzeEndpoint(this, 'AnalyzeEndpoint', {
      analyzer,
      workflow: realtime.stateMachine,
      ingestBucket: ingest,
      resultsBucket: results,
      encryptionKey: key,
    });
    realtime.grantKeyUse(analyzer);

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
    acknowledge(
      ingest.node.tryFindChild('Notifications')?.node.tryFindChild('HandlerPolicy'),
      NAG_RULES.inlinePolicy,
      "CDK-generated policy letting its notifications handler set the ingest bucket's notification configuration at deploy time.",
    );

    const piiScan = new ResultsPiiScan(this, 'ResultsPiiScan', {
      resultsBucket: results,
      encryptionKey: key,
      findingsBus: outcomeBus,
      enableMacie: props.enableMacie,
    });

    // Operations (docs/operations.md): every alarm of the stack goes to one encrypted topic.
    const alarmTopic = new AlarmTopic(this, 'Alarms', {
      encryptionKey: key,
      email: stackSettings.alarmEmail,
      webhookUrl: stackSettings.alarmWebhookUrl,
    });
    Aspects.of(this).add(new NotifyEveryAlarm(alarmTopic.topic), { priority: AspectPriority.MUTATING });
    new BudgetAlarms(this, 'BudgetAlarms', { tiers: budgets.tiers });
    const routes = allRoutes().map((route) => route.name);
    new PipelineAlarms(this, 'PipelineAlarms', {
      functions: mediaFunctions,
      standardWorkflow: pipeline.stateMachine,
      expressWorkflow: realtime.stateMachine,
      deadLetterQueues: { Uploads: ingestTrigger.deadLetterQueue, MacieFindings: piiScan.deadLetterQueue },
      macieFindingsRule: piiScan.findingsRule,
      routes,
      thresholds: stackSettings.alarmThresholds,
    });
    const dashboard = new PipelineDashboard(this, 'Dashboard', {
      standardWorkflow: pipeline.stateMachine,
      expressWorkflow: realtime.stateMachine,
      routes,
    });

    new CfnOutput(this, 'IngestBucketName', { value: ingest.bucketName });
    new CfnOutput(this, 'OutcomeBusName', { value: outcomeBus.eventBusName });
    new CfnOutput(this, 'LedgerTableName', {
      description: 'Cost ledger for finance: mediagate costs --aws --table <this>, docs/finance.md',
      value: tables.ledger.tableName,
    });
    new CfnOutput(this, 'StateTableName', {
      value: tables.state.tableName,
      description:
        'The tenant registry, budgets, rate buckets and audit heads: mediagate tenants/audit verify --aws --table <it>',
    });
    new CfnOutput(this, 'OpenAiSecretArn', { value: openAiKey.secretArn });
    new CfnOutput(this, 'AuditBucketName', {
      description:
        'Audit trail records: mediagate audit verify --aws --bucket <this> --table <StateTableName>',
      value: audit.bucket.bucketName,
    });
    new CfnOutput(this, 'PresignUrl', { value: presign.url });
    new CfnOutput(this, 'AnalyzeUrl', { value: analyzeEndpoint.url });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Every alarm goes here; subscribe more endpoints to it (docs/operations.md)',
      value: alarmTopic.topic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
    // What `mediagate redrive --aws` needs (docs/operations.md).
    new CfnOutput(this, 'PipelineStateMachineArn', { value: pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'UploadDeadLetterQueueArn', { value: ingestTrigger.deadLetterQueue.queueArn });
  }
}

/** How each function that is not a pipeline step is called (all synchronously: no async DLQ applies). */
const INVOKED_BY: Readonly<Record<string, string>> = {
  'start-execution': 'the SQS event source of the upload queue, whose own dead-letter queue takes what fails',
  'presign-upload': 'its IAM-authenticated function URL, whose caller gets the error',
  analyze: 'its IAM-authenticated function URL, whose caller gets the error',
};

/**
 * The services that encrypt with the key on our behalf, each only for this account's own resources
 * (the confused-deputy conditions: source account and ARN, or the encryption context they send).
 */
function allowServicesToUseKey(stack: Stack, key: Key): void {
  const inThisAccount = (service: string, resource: string) =>
    `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchLogsForThisAccountsLogGroups',
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': inThisAccount('logs', 'log-group:*') },
      },
    }),
  );
  // EventBridge rules deliver into KMS-encrypted queues: the upload queue and the dead-letter queues.
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'EventBridgeRulesOfThisAccount',
      principals: [new ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': inThisAccount('events', 'rule/*') },
      },
    }),
  );
}

/**
 * An archive of `bus` encrypted with `key` instead of an AWS-owned key. Not the Archive L2: its key
 * statement names the bus by a reference, and the bus already depends on the key (a cycle). The bus's
 * name is known at synth time, so the statement names it literally. The construct path is the one
 * `bus.archive(id)` gives, so the archive is not replaced.
 */
function encryptedArchive(
  bus: EventBus,
  key: Key,
  props: { description: string; eventPattern: Record<string, unknown>; retentionDays: number },
): void {
  const stack = Stack.of(bus);
  const busArn = stack.formatArn({
    service: 'events',
    resource: 'event-bus',
    resourceName: Names.uniqueId(bus),
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'EventBridgeOutcomeArchive',
      principals: [new ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'EventBridgeDescribeKeyForThisAccount',
      principals: [new ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
  new CfnArchive(new Construct(bus, 'OutcomeArchive'), 'Archive', {
    sourceArn: bus.eventBusArn,
    description: props.description,
    eventPattern: props.eventPattern,
    retentionDays: props.retentionDays,
    kmsKeyIdentifier: key.keyArn,
  });
}
