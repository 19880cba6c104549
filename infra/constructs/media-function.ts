import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  type Architecture,
  type ILayerVersion,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type LambdaBundling, lambdaBundling } from '../bundling.js';
import { acknowledge, NAG_RULES } from '../nag.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface MediaFunctionProps {
  /** Folder under functions/ whose handler.ts this function runs; also tells the local runner which handler to load. */
  readonly step: string;
  readonly description: string;
  readonly architecture: Architecture;
  readonly logKey: IKey;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - none */
  readonly layers?: readonly ILayerVersion[];
  /** Modules the layers provide; kept out of the bundle. @default - none */
  readonly externalModules?: readonly string[];
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Concurrency set aside for (and capping) this function. @default - none: the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
  /** Who invokes the function, always synchronously (e.g. "the state machines' LambdaInvoke tasks"). */
  readonly invokedBy: string;
}

/**
 * Every mediagate Lambda: Node 24, one architecture for all, X-Ray tracing, JSON logs in a KMS-encrypted
 * log group with retention, source maps on, ESM bundle built by the local esbuild (no Docker) with the
 * options of infra/bundling.ts.
 */
export class MediaFunction extends Construct {
  readonly function: NodejsFunction;
  /** Where the function logs (JSON lines); metric filters read it. */
  readonly logGroup: LogGroup;
  readonly step: string;
  /** What esbuild leaves out of the bundle (the runtime's SDK, the layers' modules), as passed to bundling. */
  readonly externalModules: readonly string[];
  /** The bundling options given to NodejsFunction; `esbuildOptionsOf` (infra/bundling.ts) rebuilds them. */
  readonly bundling: LambdaBundling;
  /** The handler file this function bundles. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: MediaFunctionProps) {
    super(scope, id);
    if (!/^[a-z][a-z-]*$/.test(props.step))
      throw new Error(`step must be a functions/ folder name; got "${props.step}"`);
    this.step = props.step;
    this.bundling = lambdaBundling(props.externalModules);
    this.externalModules = this.bundling.externalModules;
    this.entry = path.join(REPO_ROOT, 'functions', props.step, 'handler.ts');
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: logs go only to this function's log group.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `mediagate ${props.step}`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      role,
      entry: this.entry,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: props.architecture,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      layers: props.layers ? [...props.layers] : undefined,
      environment: {
        MEDIAGATE_STEP: props.step,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'mediagate',
        ...props.environment,
      },
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      bundling: {
        format: OutputFormat.ESM,
        target: this.bundling.target,
        minify: this.bundling.minify,
        sourceMap: this.bundling.sourceMap,
        mainFields: [...this.bundling.mainFields],
        banner: this.bundling.banner,
        define: { ...this.bundling.define },
        externalModules: [...this.bundling.externalModules],
        esbuildArgs: { '--sources-content': String(this.bundling.sourcesContent) },
        forceDockerBundling: false,
      },
    });
    this.acknowledgeFindings(props);
  }

  private acknowledgeFindings(props: MediaFunctionProps): void {
    const step = props.step;
    acknowledge(
      this.function,
      NAG_RULES.lambdaInsideVpc,
      `${step} reaches only regional AWS endpoints${step === 'invoke-model' ? ' and the OpenAI API' : ''} over TLS with IAM; there is no VPC resource to reach, and a VPC would add NAT and endpoints in front of the same calls.`,
    );
    acknowledge(
      this.function,
      NAG_RULES.lambdaDlq,
      `${step} is never invoked asynchronously: ${props.invokedBy}, so a failed call goes back to the caller (retries, then the pipeline's failure path or a dead-letter queue upstream) and an on-failure DLQ would stay empty.`,
    );
    const policy = this.function.role?.node.tryFindChild('DefaultPolicy');
    if (!policy) return;
    acknowledge(
      policy,
      NAG_RULES.inlinePolicy,
      `The ${step} role's least-privilege statements (exact actions on this step's own prefixes and tables) belong to this one role; as a managed policy they could be attached to other principals.`,
    );
    acknowledge(
      policy,
      ['AwsSolutions-IAM5[Resource::*]'],
      step === 'dlp-check'
        ? 'dlp-check: Comprehend DetectPiiEntities/DetectDominantLanguage, Textract DetectDocumentText and X-Ray trace upload have no resource-level permissions; nothing else uses *.'
        : `${step}: only X-Ray trace upload (PutTraceSegments, PutTelemetryRecords) uses *; it has no resource-level permissions.`,
    );
  }
}
