/**
 * Least-privilege grants, narrower than the L2 `grantRead`/`grantReadWriteData` helpers: exact actions
 * on exact prefixes, and exact KMS actions instead of `kms:GenerateDataKey*` / `kms:ReEncrypt*`.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
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
