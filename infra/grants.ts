/**
 * Least-privilege grants, narrower than the L2 `grantRead`/`grantReadWriteData` helpers: exact actions
 * on exact prefixes, and exact KMS actions instead of `kms:GenerateDataKey*` / `kms:ReEncrypt*`.
 * Tenant data is reached through a TenantDataRole (constructs/tenant-data-role.ts); the grants here are
 * for what a function does as itself: organisation-wide items, front doors, Transcribe jobs.
 */
import { CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** The session tag that names the tenant of a tenant-data session. */
export const TENANT_TAG = 'tenant';
/** Environment variable carrying the ARN of the step's tenant-data role (functions/config/settings.ts reads it). */
export const TENANT_ROLE_ENV = 'MEDIAGATE_TENANT_ROLE_ARN';
/** Environment variable carrying the data key's ARN, for SSE-KMS with a per-object encryption context. */
export const DATA_KEY_ENV = 'MEDIAGATE_DATA_KEY_ARN';

function addStatement(grantee: IGrantable, statement: PolicyStatement): void {
  grantee.grantPrincipal.addToPrincipalPolicy(statement);
}

export function grantObjectRead(fn: IFunction, bucket: IBucket, key: IKey, prefix: string): void {
  addStatement(
    fn,
    new PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
  );
  addStatement(fn, new PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }));
  acknowledgePrefixWildcard(fn, bucket, prefix);
}

export function grantObjectWrite(fn: IFunction, bucket: IBucket, key: IKey, prefix: string): void {
  addStatement(
    fn,
    new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
  // GenerateDataKey for the object's data key; Decrypt because SSE-KMS with bucket keys may need it.
  addStatement(
    fn,
    new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
  );
  acknowledgePrefixWildcard(fn, bucket, prefix);
}

export type TableAccess = 'read' | 'write';

/**
 * Table-wide item access, for a function that is not tenant-scoped (none of the pipeline steps: they reach
 * tenant items through TenantDataRole.items and organisation-wide ones through grantOrgItems).
 */
export function grantItems(fn: IFunction, table: ITableV2, key: IKey, access: readonly TableAccess[]): void {
  const actions = new Set<string>();
  if (access.includes('read'))
    for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'])
      actions.add(action);
  if (access.includes('write')) {
    for (const action of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ]) {
      actions.add(action);
    }
  }
  addStatement(fn, new PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
  addStatement(
    fn,
    new PolicyStatement({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
    }),
  );
}

/**
 * Items of the function's own, organisation-wide partitions (circuit breakers `breaker#<route>`, the
 * organisation's rate buckets `ORG#…`): `dynamodb:LeadingKeys` keeps the function role off tenant items.
 */
export function grantOrgItems(
  fn: IFunction,
  table: ITableV2,
  key: IKey,
  actions: readonly string[],
  leadingKeyPatterns: readonly string[],
): void {
  addStatement(
    fn,
    new PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeyPatterns] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    }),
  );
  addStatement(
    fn,
    new PolicyStatement({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(fn).region}.amazonaws.com` },
      },
    }),
  );
}

/**
 * Amazon Transcribe batch jobs named `jobNamePattern` (IAM wildcards allowed). Transcribe reads the media
 * and writes the transcript with the caller's permissions, so the caller also needs the S3 grants on
 * both prefixes (grantObjectRead / grantObjectWrite) and the right to encrypt with `key`, which
 * encrypts the transcript (OutputEncryptionKMSKeyId).
 */
export function grantTranscriptionJobs(
  grantee: IGrantable & IConstruct,
  key: IKey,
  jobNamePattern: string,
  /** Conditions on the encryption context the transcript is written with, e.g. the session's tenant. */
  encryptionContext?: Readonly<Record<string, string>>,
): void {
  const stack = Stack.of(grantee);
  const jobs = stack.formatArn({
    service: 'transcribe',
    resource: 'transcription-job',
    resourceName: jobNamePattern,
  });
  addStatement(
    grantee,
    new PolicyStatement({
      actions: ['transcribe:StartTranscriptionJob', 'transcribe:GetTranscriptionJob'],
      resources: [jobs],
    }),
  );
  // Transcribe encrypts the transcript itself (ViaService transcribe), with the job's KMSEncryptionContext.
  addStatement(
    grantee,
    new PolicyStatement({
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `transcribe.${stack.region}.amazonaws.com` },
        ...(encryptionContext ? { StringEqualsIfExists: encryptionContext } : {}),
      },
    }),
  );
  const policy = defaultPolicyOf(grantee);
  if (!policy) return;
  // cdk-nag names the resource as CloudFormation has it: pseudo parameters where the stack is environment-agnostic.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:transcribe:${region}:${account}:transcription-job/${jobNamePattern}]`,
    reason:
      'Transcription jobs are named per execution at run time; the pattern admits only the job names this step derives from execution ids.',
  });
}

/** The DefaultPolicy of a function's or a role's principal, where cdk-nag reports its statements. */
function defaultPolicyOf(grantee: IConstruct): IConstruct | undefined {
  const role = 'role' in grantee ? (grantee.role as IConstruct | undefined) : grantee;
  return role?.node.tryFindChild('DefaultPolicy');
}

/** Object keys below a step's prefix are per-execution, so the prefix wildcard is the narrowest ARN there is. */
function acknowledgePrefixWildcard(fn: IFunction, bucket: IBucket, prefix: string): void {
  acknowledgeResourceWildcard(
    fn,
    bucket,
    `${prefix}*`,
    `Scoped to the ${prefix} prefix this step owns; keys below it are per-execution and unknown at deploy time.`,
  );
}

/** Acknowledges cdk-nag's IAM5 for `<bucket ARN>/<pattern>` on the grantee's DefaultPolicy, with `reason`. */
export function acknowledgeResourceWildcard(
  grantee: IConstruct,
  bucket: IBucket,
  pattern: string,
  reason: string,
): void {
  const policy = defaultPolicyOf(grantee);
  const cfnBucket = bucket.node.defaultChild;
  if (!policy || !(cfnBucket instanceof CfnElement)) return;
  const logicalId = Stack.of(bucket).getLogicalId(cfnBucket);
  // cdk-nag writes a policy variable `${aws:PrincipalTag/tenant}` as `<aws:PrincipalTag/tenant>`.
  const asNagWrites = pattern.replace(/\$\{([^}]+)\}/g, '<$1>');
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${asNagWrites}]`,
    reason,
  });
}
