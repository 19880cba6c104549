/**
 * The cdk-nag packs every synthesis runs (`cdk synth`, the local stack, test/infra). One list, so the app
 * and the tests cannot drift apart: a finding none of them acknowledges fails the synthesis.
 */
import { type App, Validations } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  type NagPack,
  NIST80053R5Checks,
  PCIDSS321Checks,
  ServerlessChecks,
} from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The five packs, in the order their findings are reported. */
export function nagPacks(scope?: IConstruct, options: { writeSuppressions?: boolean } = {}): NagPack[] {
  // Acknowledgements are written into the template once, by the first pack, for auditors to read.
  const props = (first: boolean) => ({
    writeSuppressionsToCloudFormation: first && options.writeSuppressions,
  });
  return [
    new AwsSolutionsChecks(scope, props(true)),
    new HIPAASecurityChecks(scope, props(false)),
    new NIST80053R5Checks(scope, props(false)),
    new PCIDSS321Checks(scope, props(false)),
    new ServerlessChecks(scope, props(false)),
  ];
}

/** Runs the five packs as validation plugins of `app`: synthesis fails on any unacknowledged finding. */
export function applyNagPacks(app: App): void {
  Validations.of(app).addPlugins(...nagPacks(app, { writeSuppressions: true }));
}

/** The pack-qualified ids under which each pack that has a rule reports it. */
export const NAG_RULES = {
  lambdaInsideVpc: [
    'HIPAA.Security-LambdaInsideVPC',
    'NIST.800.53.R5-LambdaInsideVPC',
    'PCI.DSS.321-LambdaInsideVPC',
  ],
  lambdaDlq: ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ'],
  lambdaConcurrency: ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'],
  inlinePolicy: [
    'HIPAA.Security-IAMNoInlinePolicy',
    'NIST.800.53.R5-IAMNoInlinePolicy',
    'PCI.DSS.321-IAMNoInlinePolicy',
  ],
  bucketReplication: [
    'HIPAA.Security-S3BucketReplicationEnabled',
    'NIST.800.53.R5-S3BucketReplicationEnabled',
    'PCI.DSS.321-S3BucketReplicationEnabled',
  ],
  bucketKmsEncryption: [
    'HIPAA.Security-S3DefaultEncryptionKMS',
    'NIST.800.53.R5-S3DefaultEncryptionKMS',
    'PCI.DSS.321-S3DefaultEncryptionKMS',
  ],
  secretRotation: [
    'AwsSolutions-SMG4',
    'HIPAA.Security-SecretsManagerRotationEnabled',
    'NIST.800.53.R5-SecretsManagerRotationEnabled',
  ],
} as const;

/**
 * Acknowledges one finding, reported under `ids` by the packs that have the rule, on one resource (or
 * the construct that owns it) with the reason that holds for that resource. `scope` may be a child CDK
 * did not create (a role with no statements has no policy): there is then nothing to acknowledge, and a
 * finding left open would fail the synthesis anyway.
 */
export function acknowledge(scope: IConstruct | undefined, ids: readonly string[], reason: string): void {
  if (!scope) return;
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}
