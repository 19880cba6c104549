import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { acknowledge, applyNagPacks } from '../../infra/nag.js';
import { type SynthesisResult, synthesizeMediagate } from '../../infra/synth.js';
import { acknowledgementCoverage, acknowledgements, unacknowledgedFindings } from './nag-audit.js';

const PACKS = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'Serverless'];

describe('cdk-nag: the five packs on the stack', () => {
  let result: SynthesisResult;

  beforeAll(() => {
    // Prepare: synthesize as `cdk synth` does, with the five packs as validation plugins
    result = synthesizeMediagate({ nag: true });
  });

  it('leaves no finding of AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1 or Serverless unacknowledged', () => {
    // Act: run the packs again over the synthesized tree (synthesis itself would have thrown)
    const open = unacknowledgedFindings(result.app);

    // Assess
    expect(open).toEqual([]);
    const acknowledgedPacks = new Set(acknowledgements(result.app).map((a) => a.ruleId.split('-')[0]));
    for (const pack of PACKS) expect(acknowledgedPacks, pack).toContain(pack);
  });

  it('acknowledges each finding on its one resource, with a reason, and nothing that is not found', () => {
    const coverage = acknowledgementCoverage(result.app);
    expect(coverage.length).toBeGreaterThan(100);
    for (const { acknowledgement, resources } of coverage) {
      const label = `${acknowledgement.ruleId} on ${acknowledgement.constructPath}`;
      expect(acknowledgement.reason.length, `reason of ${label}`).toBeGreaterThan(40);
      expect(resources, `${label} matches no finding`).not.toEqual([]);
      expect(resources, `${label} covers several resources`).toHaveLength(1);
    }
  });

  it('writes the acknowledgements into the template for auditors', () => {
    const suppressions = Object.values(result.template.Resources).flatMap(
      (resource) =>
        (resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)
          ?.rules_to_suppress ?? [],
    );
    expect(suppressions.some((s) => s.id.startsWith('HIPAA.Security-'))).toBe(true);
    expect(suppressions.every((s) => s.reason.length > 40)).toBe(true);
  });
});

describe('cdk-nag: the checks themselves', () => {
  it('fail the synthesis on an unacknowledged finding, and expose an acknowledgement that matches nothing', () => {
    // Prepare: a bucket with several findings, one acknowledgement for a rule it does not break
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-nag-')) });
    const stack = new Stack(app, 'Probe');
    const bucket = new Bucket(stack, 'Plain');
    acknowledge(
      bucket,
      ['AwsSolutions-SQS3'],
      'A rule about queues, acknowledged on a bucket: it matches nothing.',
    );
    applyNagPacks(app);

    // Act + Assess: the synthesis refuses, the findings are listed, the stray acknowledgement shows
    expect(() => app.synth()).toThrow();
    expect(unacknowledgedFindings(app).map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'HIPAA.Security-S3BucketLoggingEnabled']),
    );
    const stray = acknowledgementCoverage(app).find((c) => c.acknowledgement.ruleId === 'AwsSolutions-SQS3');
    expect(stray?.resources).toEqual([]);
  });
});
