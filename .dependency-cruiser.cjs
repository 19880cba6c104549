/**
 * The house rules (docs/architecture.md, "Where things live"), checked by `npm run lint`:
 * handlers → concepts → ports; adapters → ports; config chooses adapters; nothing imports a step.
 */
const fs = require('node:fs');
const path = require('node:path');

// A Lambda's folder is any folder under functions/ with a handler.ts, so a new step is covered the day it lands.
const functionsDir = path.join(__dirname, 'functions');
const lambdaFolders = fs
  .readdirSync(functionsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(functionsDir, entry.name, 'handler.ts')))
  .map((entry) => entry.name);
const lambdaPath = `^functions/(${lambdaFolders.join('|')})/`;
// Domain concepts: what the steps share. They take ports and never talk to AWS or OpenAI themselves.
const domainPath = '^functions/(pipeline|media|dlp|model|money|tenants)/|^functions/ports\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-lambda-to-lambda',
      comment:
        'A Lambda folder holds its handler and what only that step uses; a shared concept gets its own folder.',
      severity: 'error',
      from: { path: '^functions/([^/]+)/' },
      to: { path: lambdaPath, pathNot: '^functions/$1/' },
    },
    {
      name: 'no-step-imports-outside-functions',
      comment:
        'The CLI, the local stack and scripts use concept modules; only a test or the runner loads a handler.',
      severity: 'error',
      from: { path: '^(cli|infra|bench|scripts|layers)/' },
      to: { path: `${lambdaPath}handler\\.ts$` },
    },
    {
      name: 'domain-without-sdks',
      comment: 'Domain modules take ports; AWS SDK clients and openai live in adapters/ and config/.',
      severity: 'error',
      from: { path: domainPath },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'],
        path: '(^|/)node_modules/(@aws-sdk|openai)/',
      },
    },
    {
      name: 'domain-without-adapters',
      comment: 'Domain modules depend on ports, never on an adapter or on the module that chooses adapters.',
      severity: 'error',
      from: { path: domainPath },
      to: { path: '^functions/(adapters|config)/' },
    },
    {
      name: 'adapters-without-config',
      comment:
        'Adapters implement ports; config chooses them, so the arrow points from config to adapters only.',
      severity: 'error',
      from: { path: '^functions/adapters/' },
      to: { path: '^functions/config/' },
    },
    {
      name: 'simulator-independent',
      comment:
        "The OpenAI simulator bills from its own reading of OpenAI's rules; importing the project's would make a wrong formula agree with itself.",
      severity: 'error',
      from: { path: '^infra/local/openai-simulator/' },
      to: { path: '^functions/' },
    },
    {
      name: 'synth-without-step-wrapper',
      comment:
        'The CDK app (and the local stack, which synthesizes it first) must not load the step wrapper: its logger and metrics read their settings from the environment when first imported, before the local stack has set it.',
      severity: 'error',
      from: { path: '^infra/(app|synth)\\.ts$' },
      to: { path: '^functions/pipeline/step\\.ts$', reachable: true },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only ones included (tsPreCompilationDeps).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      path: '^(node_modules|cdk\\.out|\\.mediagate|test/fixtures/generated|bench/\\.work|layers/[^/]+/build)/',
    },
    // TypeScript 7 has no JS compiler API yet; swc parses the sources and sees type-only imports too,
    // so cycles made of `import type` are caught.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
