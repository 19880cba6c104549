/**
 * Least-privilege grants, narrower than the L2 `grantRead`/`grantReadWriteData` helpers: exact actions
 * on exact prefixes, and exact KMS actions instead of `kms:GenerateDataKey*` / `kms:ReEncrypt*`.
 */
import { CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

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
 * Amazon Transcribe batch jobs named `jobNamePattern` (IAM wildcards allowed). Transcribe reads the media
 * and writes the transcript with the caller's permissions, so the caller also needs the S3 grants on
 * both prefixes (grantObjectRead / grantObjectWrite) and the right to encrypt with `key`, which
 * encrypts the transcript (OutputEncryptionKMSKeyId).
 */
export function grantTranscriptionJobs(fn: IFunction, key: IKey, jobNamePattern: string): void {
  const stack = Stack.of(fn);
  const jobs = stack.formatArn({
    service: 'transcribe',
    resource: 'transcription-job',
    resourceName: jobNamePattern,
  });
  addStatement(
    fn,
    new PolicyStatement({
      actions: ['transcribe:StartTranscriptionJob', 'transcribe:GetTranscriptionJob'],
      resources: [jobs],
    }),
  );
  addStatement(
    fn,
    new PolicyStatement({ actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
  );
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
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

/** Object keys below a step's prefix are per-execution, so the prefix wildcard is the narrowest ARN there is. */
function acknowledgePrefixWildcard(fn: IFunction, bucket: IBucket, prefix: string): void {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
  const cfnBucket = bucket.node.defaultChild;
  if (!policy || !(cfnBucket instanceof CfnElement)) return;
  const logicalId = Stack.of(bucket).getLogicalId(cfnBucket);
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`,
    reason: `Scoped to the ${prefix} prefix this step owns; keys below it are per-execution and unknown at deploy time.`,
  });
}
