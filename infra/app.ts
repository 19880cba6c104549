#!/usr/bin/env node
// The only place that reads context and environment for the CDK app.
import { App } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { applyNagPacks } from './nag.js';
import { MediagateStack } from './stacks/mediagate-stack.js';

const app = new App();
const architectureName = app.node.tryGetContext('architecture') ?? 'x86_64';
if (architectureName !== 'x86_64' && architectureName !== 'arm64') {
  throw new Error(`context "architecture" must be x86_64 or arm64; got "${architectureName}"`);
}
// Deployment settings for the functions, e.g. -c settings='{"MEDIAGATE_MAX_PIXELS":"80000000"}'.
const settingsJson = app.node.tryGetContext('settings');
const settings: Record<string, string> =
  typeof settingsJson === 'string' ? JSON.parse(settingsJson) : (settingsJson ?? {});
new MediagateStack(app, 'Mediagate', {
  architecture: architectureName === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64,
  settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// AwsSolutions, HIPAA.Security, NIST.800.53.R5, PCI.DSS.321 and Serverless: an unacknowledged finding fails the synth.
applyNagPacks(app);
app.synth();
