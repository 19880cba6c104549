import * as path from 'node:path';
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
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
}

/**
 * Every mediagate Lambda: Node 24, one architecture for all, X-Ray tracing, JSON logs in a KMS-encrypted
 * log group with retention, source maps on, ESM bundle built by the local esbuild (no Docker) with the
 * options of infra/bundling.ts.
 */
export class MediaFunction extends Construct {
  readonly function: NodejsFunction;
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
    const logGroup = new LogGroup(this, 'Logs', {
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
        resources: [logGroup.logGroupArn],
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
      logGroup,
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
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(logGroup.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: "Log streams are created at run time inside this function's own log group.",
      });
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only actions without resource-level permissions use *: X-Ray trace upload (every function) and Comprehend DetectPiiEntities / Textract DetectDocumentText (DlpCheck).',
      });
    }
  }
}
