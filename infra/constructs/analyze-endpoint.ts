import { CfnOutput } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { grantObjectRead, grantObjectWrite } from '../grants.js';

export interface AnalyzeEndpointProps {
  /** The analyze function (functions/analyze). */
  readonly analyzer: IFunction;
  /** The Express state machine it runs synchronously. */
  readonly workflow: IStateMachine;
  readonly ingestBucket: IBucket;
  readonly resultsBucket: IBucket;
  readonly encryptionKey: IKey;
}

/**
 * `POST /v1/analyze` as a function URL with IAM auth: callers sign with SigV4 and need
 * lambda:InvokeFunctionUrl. A function URL rather than API Gateway: it carries Lambda's full 6 MB
 * payload and 15-minute timeout (API Gateway stops at 10 MB / 30 s, with no gain here), and adds no hop.
 */
export class AnalyzeEndpoint extends Construct {
  readonly url: string;

  constructor(scope: Construct, id: string, props: AnalyzeEndpointProps) {
    super(scope, id);
    const functionUrl = props.analyzer.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    this.url = functionUrl.url;
    // The body lands under realtime/, which no event rule watches: only this request processes it.
    grantObjectWrite(props.analyzer, props.ingestBucket, props.encryptionKey, 'realtime/');
    grantObjectRead(props.analyzer, props.resultsBucket, props.encryptionKey, 'results/');
    props.workflow.grantStartSyncExecution(props.analyzer);
    new CfnOutput(this, 'Url', {
      value: functionUrl.url,
      description: 'POST /v1/analyze?tenant=T&task=K with the file as the body (SigV4-signed)',
    });
  }
}
