/**
 * The role a step assumes, per item, to touch that item's tenant's data (ABAC). The step's function role
 * may only `sts:AssumeRole` + `sts:TagSession` into it with exactly one session tag, `tenant`; every
 * statement here names the tenant through `${aws:PrincipalTag/tenant}`, so a session made for tenant A
 * reaches A's prefixes, A's items and A's encryption context only. What this does and does not cover:
 * docs/architecture.md, "Tenant isolation by IAM".
 */
import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ArnPrincipal, type IGrantable, type IPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeResourceWildcard, TENANT_ROLE_ENV, TENANT_TAG } from '../grants.js';
import { acknowledge, NAG_RULES } from '../nag.js';

/** IAM substitutes the session's tag here: every tenant-scoped ARN and key is written with it. */
export const TENANT = `\${aws:PrincipalTag/${TENANT_TAG}}`;

/** DynamoDB partition keys of a tenant's items (docs/architecture.md): `TENANT#<t>` and `TENANT#<t>#<KIND>`. */
export const TENANT_LEADING_KEYS = [`TENANT#${TENANT}`, `TENANT#${TENANT}#*`];

export type ItemAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

export interface TenantDataRoleProps {
  /** The step whose function role alone may assume this role. */
  readonly fn: LambdaFunction;
  /** The stack's data key: SSE-KMS of the buckets and the tables' key. */
  readonly key: IKey;
}

export class TenantDataRole extends Construct implements IGrantable {
  readonly role: Role;
  readonly grantPrincipal: IPrincipal;
  private readonly key: IKey;
  /** Object ARNs (with the tenant variable) this role reads / writes: the KMS conditions list them. */
  private readonly readArns: string[] = [];
  private readonly writeArns: string[] = [];
  private readonly tableNames: string[] = [];

  constructor(scope: Construct, id: string, props: TenantDataRoleProps) {
    super(scope, id);
    const functionRole = props.fn.role;
    if (!functionRole) throw new Error('TenantDataRole needs a function with its own role');
    this.key = props.key;
    const tagged = {
      // The tenant tag is required and is the only tag a session may carry.
      Null: { [`aws:RequestTag/${TENANT_TAG}`]: 'false' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT_TAG] },
    };
    this.role = new Role(this, 'Role', {
      assumedBy: new ArnPrincipal(functionRole.roleArn).withConditions(tagged).withSessionTags(),
      description: `mediagate ${props.fn.node.scope?.node.id ?? id}: one tenant's data, per session tag`,
      // Role chaining (a Lambda role assuming this one) caps sessions at one hour.
      maxSessionDuration: Duration.hours(1),
    });
    this.grantPrincipal = this.role;
    functionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [this.role.roleArn],
        conditions: tagged,
      }),
    );
    props.fn.addEnvironment(TENANT_ROLE_ENV, this.role.roleArn);
  }

  /** GetObject (any version) below `<prefix><tenant>/`, listing below it, and Decrypt through S3. */
  readObjects(bucket: IBucket, prefix: string): void {
    const objects = this.allowOnTenantObjects(['s3:GetObject', 's3:GetObjectVersion'], bucket, prefix);
    this.allow(['s3:ListBucket'], [bucket.bucketArn], {
      StringLike: { 's3:prefix': [`${prefix}${TENANT}/*`] },
    });
    if (this.readArns.length === 0) {
      // Decrypt through S3 only, for objects of this tenant's prefixes (S3 puts the object's ARN in the
      // context itself; bucket keys are off so it is the object's, not the bucket's), and when the object
      // carries a `tenant` context (everything a step writes does), only this tenant's.
      this.allow(['kms:Decrypt'], [this.key.keyArn], {
        StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': Lazy.list({ produce: () => this.readArns }) },
        StringEqualsIfExists: { [`kms:EncryptionContext:${TENANT_TAG}`]: TENANT },
      });
    }
    this.readArns.push(objects);
  }

  /** PutObject below `<prefix><tenant>/`, encrypted through S3 with this tenant's encryption context. */
  writeObjects(bucket: IBucket, prefix: string): void {
    const objects = this.allowOnTenantObjects(['s3:PutObject'], bucket, prefix);
    if (this.writeArns.length === 0) {
      this.allow(['kms:GenerateDataKey'], [this.key.keyArn], {
        StringEquals: {
          'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com`,
          [`kms:EncryptionContext:${TENANT_TAG}`]: TENANT,
        },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': Lazy.list({ produce: () => this.writeArns }) },
      });
    }
    this.writeArns.push(objects);
  }

  /** `actions` on `<bucket>/<prefix><tenant>/*`, the narrowest ARN there is (keys below are per-execution). */
  private allowOnTenantObjects(actions: string[], bucket: IBucket, prefix: string): string {
    const objects = bucket.arnForObjects(`${prefix}${TENANT}/*`);
    this.allow(actions, [objects]);
    acknowledgeResourceWildcard(
      this.role,
      bucket,
      `${prefix}${TENANT}/*`,
      `Objects of one tenant below ${prefix}: the session tag fixes the tenant, keys below it are per-execution.`,
    );
    return objects;
  }

  /** Exactly `actions` on the items whose partition key is this tenant's, and the table key through DynamoDB. */
  items(table: ITableV2, actions: readonly ItemAction[]): void {
    this.allow(
      actions.map((action) => `dynamodb:${action}`),
      [table.tableArn],
      {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': TENANT_LEADING_KEYS },
        // ForAllValues holds for an empty set: a request without leading keys (a Scan) must not pass.
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    );
    if (this.tableNames.length === 0) {
      // DynamoDB encrypts with a table key under this KMS key; its context names the table, never an item.
      this.allow(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [this.key.keyArn], {
        StringEquals: {
          'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com`,
          'kms:EncryptionContext:aws:dynamodb:tableName': Lazy.list({ produce: () => this.tableNames }),
        },
      });
    }
    this.tableNames.push(table.tableName);
  }

  private allow(actions: string[], resources: string[], conditions?: Record<string, unknown>): void {
    const firstStatement = !this.role.node.tryFindChild('DefaultPolicy');
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources, conditions }));
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (firstStatement && policy) {
      acknowledge(
        policy,
        NAG_RULES.inlinePolicy,
        `${this.node.id}: one tenant's statements (this step's prefixes and tables, scoped by the session tag) belong to this role alone; as a managed policy they could be attached to other principals.`,
      );
    }
  }
}
