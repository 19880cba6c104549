/**
 * The `mediagate` command. Each subcommand lives in commands/; this file only parses arguments and sets the
 * exit status, so every command can also be called (and tested) as a function.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_STATE_DIR } from '../infra/local/stack.js';
import { DEFAULT_CONCURRENCY, runFiles } from './commands/run.js';
import { runUp } from './commands/up.js';

const program = new Command('mediagate')
  .description(
    'Sanitise, DLP-check and send images and voice notes to GPT-4o, with cost accounting — locally or on AWS.',
  )
  .showHelpAfterError();

const simulatorOptions = (command: Command) =>
  command
    .addOption(
      new Option(
        '--sim-faults <spec>',
        'fault script for the OpenAI simulator, e.g. 429@2,503,timeout,ok',
      ).env('MEDIAGATE_SIM_FAULTS'),
    )
    .addOption(
      new Option('--sim-latency-ms <ms>', 'simulator latency: N or N-M').env('MEDIAGATE_SIM_LATENCY_MS'),
    )
    .addOption(
      new Option(
        '--time-scale <n>',
        'rehearsal clock: every wait (parking, cool-downs, retry-after, TTLs) runs N times faster (default: the park patience in 2 min)',
      ).env('MEDIAGATE_TIME_SCALE'),
    );

simulatorOptions(
  program
    .command('run')
    .description('run files through the whole pipeline on the local stack and print their outcomes')
    .argument('<files...>', 'images or audio files')
    .option('--tenant <id>', 'tenant the upload belongs to', 'demo')
    .option('--task <name>', 'task from the catalogue (default: describe)')
    .option('--instructions <text>', 'free text that travels with the item (scanned for PII)')
    .option('--json', 'one JSON object per file, each written as soon as its file is done')
    .option('--concurrency <n>', 'files in flight at once (the others wait)', String(DEFAULT_CONCURRENCY))
    .option('--timeout <seconds>', 'how long to wait for each outcome', '300'),
).action(async (files: string[], options) => {
  process.exitCode = await runFiles(files, {
    tenant: options.tenant,
    task: options.task,
    instructions: options.instructions,
    json: Boolean(options.json),
    simFaults: options.simFaults,
    simLatencyMs: options.simLatencyMs,
    timeScale: options.timeScale,
    timeoutMs: Number(options.timeout) * 1000,
    concurrency: Number(options.concurrency),
  });
});

simulatorOptions(program.command('up').description('start the local stack and keep it running')).action(
  async (options) => {
    process.exitCode = await runUp(options);
  },
);

simulatorOptions(
  program
    .command('serve')
    .description('the synchronous API (POST /v1/analyze, GET /healthz) on the local stack')
    .option('--port <n>', 'loopback port', '8787'),
).action(async (options) => {
  const { runServe } = await import('./commands/serve.js');
  process.exitCode = await runServe(options);
});

program
  .command('redrive')
  .description('bring back items an outage failed (and dead-lettered uploads), charging nothing twice')
  .option('--tenant <id>', 'only this tenant')
  .option('--since <iso>', 'only items that failed at or after this ISO-8601 time')
  .option('--json', 'one JSON object per item, with the fields of run --json')
  .option('--timeout <seconds>', 'how long to wait for each outcome', '300')
  .option('--aws', 'a deployment (needs --state-machine-arn) instead of the local stack')
  .option('--state-machine-arn <arn>', 'the pipeline state machine (with --aws)')
  .option('--dlq-arn <arn>', 'the ingest dead-letter queue to move back (with --aws)')
  .option('--state-table <name>', 'the state table, to record each redrive in the audit trail (with --aws)')
  .addOption(
    new Option('--time-scale <n>', 'rehearsal clock of the local stack (see run)').env(
      'MEDIAGATE_TIME_SCALE',
    ),
  )
  .action(async (options) => {
    if (options.aws && !options.stateMachineArn) throw new Error('--aws needs --state-machine-arn');
    const { runRedrive } = await import('./commands/redrive.js');
    process.exitCode = await runRedrive({
      tenant: options.tenant,
      since: options.since,
      json: Boolean(options.json),
      timeoutMs: Number(options.timeout) * 1000,
      timeScale: options.timeScale,
      ...(options.aws
        ? {
            aws: {
              stateMachineArn: options.stateMachineArn,
              deadLetterQueueArn: options.dlqArn,
              stateTable: options.stateTable,
            },
          }
        : {}),
    });
  });

program
  .command('tenants')
  .description(
    'the tenant registry: list | show T | set T [options] | suspend T | resume T (no deploy needed)',
  )
  .argument('<action>', 'list, show, set, suspend or resume')
  .argument('[tenant]', 'the tenant id')
  .option('--tier <name>', 'tier whose defaults apply (see functions/money/budgets.json)')
  .option('--daily-cap-usd <usd>', "hard cap on the tenant's UTC day ('none' = the tier's)")
  .option('--monthly-cap-usd <usd>', "hard cap on the tenant's UTC month ('none' = the tier's)")
  .option('--thresholds <list>', 'soft thresholds in percent of each cap, e.g. 50,80,100')
  .option('--policy <id>', "DLP policy id (functions/dlp/policies.json; 'none' = the file's mapping)")
  .option('--tasks <list>', "tasks the tenant may use, comma-separated ('all' = every task)")
  .option('--rpm <n>', "model requests per minute ('none' = unlimited)")
  .option('--tpm <n>', "model tokens per minute ('none' = unlimited)")
  .option('--principal <arn...>', 'bind IAM principal ARN(s) (role ARNs) to the tenant')
  .option('--unbind <arn...>', 'unbind IAM principal ARN(s)')
  .option('--actor <name>', 'who is making the change (default: MEDIAGATE_ACTOR or user@host)')
  .option('--json', 'one JSON object per tenant')
  .option('--aws', "a deployment's state table (needs --table) instead of the local stack")
  .option('--table <name>', 'the deployed state table (with --aws; or STATE_TABLE)')
  .action(async (action: string, tenant: string | undefined, options) => {
    const { runTenants } = await import('./commands/tenants.js');
    process.exitCode = await runTenants(action, tenant, options);
  });

program
  .command('reconcile')
  .description("compare the ledger with the provider's bill by day and model, explaining each difference")
  .option('--month <yyyy-mm>', 'the month to reconcile (UTC)', new Date().toISOString().slice(0, 7))
  .option('--json', 'one JSON object: matched, ledgerMicroUsd, providerMicroUsd, differences')
  .option('--aws', "a deployment's ledger (needs --table) against OpenAI (needs OPENAI_ADMIN_KEY)")
  .option('--table <name>', 'the deployed ledger table (with --aws)')
  .action(async (options) => {
    if (options.aws && !options.table) throw new Error('--aws needs --table NAME');
    const { runReconcile } = await import('./commands/reconcile.js');
    process.exitCode = await runReconcile({
      month: options.month,
      json: Boolean(options.json),
      ...(options.aws ? { awsTable: options.table } : {}),
    });
  });

const audit = program.command('audit').description('the tamper-evident audit trail (docs/audit.md)');
audit
  .command('verify')
  .description(
    'check every audit chain: records, order, hashes, signed heads; prints {ok, records, brokenAt}',
  )
  .option('--tenant <id>', 'only this tenant')
  .option('--json', 'one JSON object: ok, records, brokenAt (and tenant, reason, tenants)')
  .option('--aws', 'a deployment (needs --bucket and --table) instead of the local stack')
  .option('--bucket <name>', 'the audit bucket (AuditBucketName output, with --aws)')
  .option('--table <name>', 'the state table (StateTableName output, with --aws)')
  .action(async (options) => {
    if (options.aws && !(options.bucket && options.table))
      throw new Error('--aws needs --bucket and --table');
    const { runAuditVerify } = await import('./commands/audit.js');
    process.exitCode = await runAuditVerify({
      tenant: options.tenant,
      json: Boolean(options.json),
      ...(options.aws ? { aws: { bucket: options.bucket, table: options.table } } : {}),
    });
  });
audit
  .command('sign')
  .description(
    "sign every tenant's chain head now with the local key (the local stand-in for the daily schedule)",
  )
  .action(async () => {
    const { runAuditSign } = await import('./commands/audit.js');
    process.exitCode = await runAuditSign();
  });

program
  .command('reset')
  .description('delete the local stack state (objects, tables, executions, events)')
  .action(async () => {
    const { acquireLock } = await import('../infra/local/lock.js');
    const stateDir = path.resolve(process.env.MEDIAGATE_STATE_DIR ?? DEFAULT_STATE_DIR);
    if (!fs.existsSync(stateDir)) return;
    const release = acquireLock(path.join(stateDir, 'stack.lock'));
    for (const entry of fs.readdirSync(stateDir)) {
      if (entry !== 'stack.lock') fs.rmSync(path.join(stateDir, entry), { recursive: true, force: true });
    }
    release();
    fs.rmSync(stateDir, { recursive: true, force: true });
    console.log(`removed ${stateDir}`);
  });

program
  .command('costs')
  .description('cost report from the ledger (local stack by default; --aws for the deployed tables)')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[]) => {
    const { runCosts } = await import('./commands/costs-entry.js');
    process.exitCode = await runCosts(args);
  });

program
  .command('sanitize')
  .description('validate, strip and normalise files with no AWS and no local stack')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[]) => {
    const { runSanitize } = await import('./commands/sanitize-entry.js');
    process.exitCode = await runSanitize(args);
  });

program
  .command('scan')
  .description('find PII in a file (and --text), optionally writing a redacted copy')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[]) => {
    const { runScanCommand } = await import('./commands/scan.js');
    process.exitCode = await runScanCommand(args);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`mediagate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
// Worker threads (OCR) and keep-alive sockets must not hold a finished command open.
process.exit(process.exitCode ?? 0);
