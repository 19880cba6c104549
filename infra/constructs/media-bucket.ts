import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface MediaBucketProps {
  /**
   * Key for SSE-KMS. Bucket keys are off: with them S3 asks KMS with the bucket's ARN as the context, so
   * neither the object's ARN nor its tenant would reach the key policy or the tenant roles' conditions.
   * The price is one KMS request per object written or read.
   */
  readonly encryptionKey: IKey;
  /** Bucket that receives S3 server access logs. */
  readonly accessLogsBucket: IBucket;
  /**
   * Days after which current objects expire.
   * @default - objects are kept
   */
  readonly expireAfterDays?: number;
  /**
   * Days a version is kept after it stops being current (overwritten, or expired by `expireAfterDays`).
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Send object events to EventBridge.
   * @default false
   */
  readonly eventBridgeEnabled?: boolean;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** A private, versioned, SSE-KMS, TLS-only bucket with server access logs: every bucket we hold media in. */
export class MediaBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: MediaBucketProps) {
    super(scope, id);
    if (props.expireAfterDays !== undefined && props.expireAfterDays < 1) {
      throw new Error('expireAfterDays must be at least 1');
    }
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 30;
    if (noncurrentDays < 1) throw new Error('noncurrentVersionExpirationDays must be at least 1');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: false,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      eventBridgeEnabled: props.eventBridgeEnabled ?? false,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: `${id}/`,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-and-incomplete',
          noncurrentVersionExpiration: Duration.days(noncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          ...(props.expireAfterDays ? { expiration: Duration.days(props.expireAfterDays) } : {}),
        },
      ],
      removalPolicy,
      autoDeleteObjects: false,
    });
  }
}
