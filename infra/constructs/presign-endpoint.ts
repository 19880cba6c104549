import { CfnOutput } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { grantObjectWrite } from '../grants.js';

export interface PresignEndpointProps {
  /** The presign function (functions/presign-upload). */
  readonly presigner: IFunction;
  readonly ingestBucket: IBucket;
  readonly encryptionKey: IKey;
}

/**
 * A function URL with IAM auth: callers sign with SigV4 and need lambda:InvokeFunctionUrl, so only
 * principals the platform team grants can mint upload URLs.
 */
export class PresignEndpoint extends Construct {
  readonly url: string;

  constructor(scope: Construct, id: string, props: PresignEndpointProps) {
    super(scope, id);
    const functionUrl = props.presigner.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    this.url = functionUrl.url;
    // The presigned POST carries the function's own credentials, so it may write under incoming/ only.
    grantObjectWrite(props.presigner, props.ingestBucket, props.encryptionKey, 'incoming/');
    new CfnOutput(this, 'Url', {
      value: functionUrl.url,
      description: 'POST {tenant, contentType, task?} here (SigV4-signed)',
    });
  }
}
