import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunctionResource } from 'aws-cdk-lib/aws-lambda';
import { type Bucket, type IBucket, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, NAG_RULES } from '../nag.js';
import { MediaBucket } from './media-bucket.js';

export type AuditLockMode = 'governance' | 'compliance';

export interface AuditSettings {
  readonly lockMode: AuditLockMode;
  readonly retentionDays: number;
}

/**
 * `MEDIAGATE_AUDIT_LOCK_MODE` (`governance`, the default, or `compliance`) and
 * `MEDIAGATE_AUDIT_RETENTION_DAYS` (default 400: a year of audits and a margin).
 */
export function auditSettings(settings: Readonly<Record<string, string>>): AuditSettings {
  const mode = settings.MEDIAGATE_AUDIT_LOCK_MODE ?? 'governance';
  if (mode !== 'governance' && mode !== 'compliance') {
    throw new Error(`MEDIAGATE_AUDIT_LOCK_MODE must be governance or compliance; got "${mode}"`);
  }
  const days = Number(settings.MEDIAGATE_AUDIT_RETENTION_DAYS ?? 400);
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(
      `MEDIAGATE_AUDIT_RETENTION_DAYS must be a whole number ≥ 1; got "${settings.MEDIAGATE_AUDIT_RETENTION_DAYS}"`,
    );
  }
  return { lockMode: mode, retentionDays: days };
}

export interface AuditTrailProps extends AuditSettings {
  /** Encrypts the records (SSE-KMS with bucket keys). */
  readonly encryptionKey: IKey;
  readonly accessLogsBucket: IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The tamper-evident audit trail (docs/audit.md): an S3 bucket with Object Lock (every record version kept
 * for the retention, in governance or compliance mode), an asymmetric KMS key (ECC P-256) that signs the
 * chain heads, and a daily schedule that runs the signer.
 */
export class AuditTrail extends Construct {
  readonly bucket: Bucket;
  readonly signingKey: Key;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy;
    const retention = Duration.days(props.retentionDays);
    this.bucket = new MediaBucket(this, 'Bucket', {
      encryptionKey: props.encryptionKey,
      accessLogsBucket: props.accessLogsBucket,
      objectLockDefaultRetention:
        props.lockMode === 'compliance'
          ? ObjectLockRetention.compliance(retention)
          : ObjectLockRetention.governance(retention),
      removalPolicy,
    }).bucket;
    acknowledge(
      this.bucket,
      NAG_RULES.bucketReplication,
      'Audit records: Object Lock retention and versioning keep them in this bucket; a copy in another region needs a bucket and key there that this single-region stack does not own (docs/operations.md).',
    );

    // Asymmetric keys cannot rotate automatically; a new key is a new key id in the signed heads.
    this.signingKey = new Key(this, 'SigningKey', {
      description: 'mediagate: signs the audit chain heads (ECDSA P-256)',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy,
    });
  }

  /**
   * Lets `fn` list below `prefixes` (not the whole bucket): the stores check whether a record exists with
   * a listing, which S3 answers with 404-like emptiness instead of a HEAD's 403.
   */
  grantList(fn: LambdaFunctionResource, prefixes: readonly string[]): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.flatMap((prefix) => [prefix, `${prefix}*`]) } },
      }),
    );
  }

  /** Runs `signer` (functions/sign-audit-heads) daily with the signing key and read access to the chain. */
  scheduleSigner(signer: LambdaFunctionResource): void {
    signer.addEnvironment('AUDIT_SIGNING_KEY_ID', this.signingKey.keyArn);
    signer.addToRolePolicy(
      new PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.signingKey.keyArn] }),
    );
    // Tenants are the prefixes below records/; their signed heads are below heads/.
    this.grantList(signer, ['records/', 'heads/']);
    const daily = new Rule(this, 'DailySigning', {
      description: 'Sign every tenant audit chain head once a day',
      schedule: Schedule.cron({ minute: '5', hour: '0' }),
      targets: [new LambdaFunction(signer, { retryAttempts: 2 })],
    });
    acknowledge(
      daily,
      ['Serverless-EventBusDLQ'],
      "A daily signing tick carries no data: one EventBridge cannot deliver leaves the heads unsigned for a day, which the signer's error and throttle alarms show; the next day's run signs every head again.",
    );
  }
}
