/**
 * The house rules in .dependency-cruiser.cjs (run by `npm run lint`) hold on the real tree, and each one
 * really fails when broken: a probe tree under test/fixtures/generated mimics the layout and breaks one rule
 * per file, and the same configuration must name that rule.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cruise, type ICruiseOptions, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const PROBE_ROOT = join(ROOT, 'test', 'fixtures', 'generated', 'dependency-probe');

let options: ICruiseOptions;

async function violationsIn(baseDir: string, paths: string[]): Promise<IViolation[]> {
  const { output } = await cruise(paths, { ...options, baseDir, validate: true, outputType: 'json' });
  if (typeof output === 'string')
    return (JSON.parse(output) as { summary: { violations: IViolation[] } }).summary.violations;
  return output.summary.violations;
}

function writeProbe(files: Record<string, string>): void {
  rmSync(PROBE_ROOT, { recursive: true, force: true });
  for (const [path, source] of Object.entries(files)) {
    const file = join(PROBE_ROOT, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, source);
  }
}

describe('dependency rules (npm run lint)', () => {
  beforeAll(async () => {
    options = await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'));
  });
  afterAll(() => rmSync(PROBE_ROOT, { recursive: true, force: true }));

  it('the committed tree breaks none of them', async () => {
    // Act
    const violations = await violationsIn(ROOT, [
      'functions',
      'cli',
      'infra',
      'bench',
      'scripts',
      'layers',
      'test',
    ]);

    // Assess
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('fails an import from one Lambda folder into another, and each other broken rule by name, the simulator reaching into functions/ included', async () => {
    // Prepare: real Lambda folder names (the rule finds them by their handler.ts), one broken rule per file
    writeProbe({
      'functions/preprocess/handler.ts':
        "import { handler as other } from '../record-cost/handler.js';\nexport const handler = other;\n",
      'functions/record-cost/handler.ts': 'export const handler = (): void => {};\n',
      'functions/model/uses-sdk.ts':
        "import { S3Client } from '@aws-sdk/client-s3';\nexport const client = S3Client;\n",
      'functions/money/uses-adapter.ts':
        "import { put } from '../adapters/store.js';\nexport const save = put;\n",
      'functions/adapters/store.ts':
        "import type { Settings } from '../config/settings.js';\nexport const put = (s: Settings): Settings => s;\n",
      'functions/config/settings.ts': 'export interface Settings { readonly region: string }\n',
      'functions/pipeline/a.ts': "import type { B } from './b.js';\nexport interface A { readonly b?: B }\n",
      'functions/pipeline/b.ts': "import type { A } from './a.js';\nexport interface B { readonly a?: A }\n",
      'cli/loads-a-step.ts':
        "import { handler } from '../functions/record-cost/handler.js';\nexport const run = handler;\n",
      'functions/model/image-tokens.ts': 'export const imageTokens = (): number => 765;\n',
      'infra/local/openai-simulator/billing.ts':
        "import { imageTokens } from '../../../functions/model/image-tokens.js';\nexport const bill = imageTokens;\n",
    });

    // Act
    const violations = await violationsIn(PROBE_ROOT, ['functions', 'cli', 'infra']);

    // Assess
    const broken = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(broken).toEqual(
      expect.arrayContaining([
        'no-lambda-to-lambda: functions/preprocess/handler.ts → functions/record-cost/handler.ts',
        expect.stringMatching(/^domain-without-sdks: functions\/model\/uses-sdk\.ts → .*@aws-sdk\/client-s3/),
        'domain-without-adapters: functions/money/uses-adapter.ts → functions/adapters/store.ts',
        'adapters-without-config: functions/adapters/store.ts → functions/config/settings.ts',
        expect.stringMatching(/^no-circular: functions\/pipeline\/[ab]\.ts → functions\/pipeline\/[ab]\.ts$/),
        'no-step-imports-outside-functions: cli/loads-a-step.ts → functions/record-cost/handler.ts',
        'simulator-independent: infra/local/openai-simulator/billing.ts → functions/model/image-tokens.ts',
      ]),
    );
  });
});
