/**
 * Synthesizes the stack in-process, for the local stack and the tests. Asset bundling is skipped (the
 * template does not depend on bundle contents), so this needs neither esbuild output nor Docker.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { applyNagPacks } from './nag.js';
import { MediagateStack, type MediagateStackProps } from './stacks/mediagate-stack.js';

export type CfnTemplate = {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
  Outputs?: Record<string, unknown>;
};

export interface SynthesisResult {
  readonly app: App;
  readonly stack: MediagateStack;
  readonly template: CfnTemplate;
  readonly outdir: string;
}

export function synthesizeMediagate(
  options: { nag?: boolean; stackProps?: MediagateStackProps } = {},
): SynthesisResult {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-synth-'));
  // Same feature flags as `cdk synth` (cdk.json), so both produce the same template.
  const cdkJson = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new MediagateStack(app, 'Mediagate', {
    env: { account: '000000000000', region: 'us-east-1' },
    ...options.stackProps,
  });
  if (options.nag) applyNagPacks(app);
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  return { app, stack, template, outdir };
}
