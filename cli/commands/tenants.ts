/**
 * `mediagate tenants list|show|set|suspend|resume`: the tenant registry, on the local stack (under its
 * lock) or, with `--aws --table NAME`, on a deployment's state table with the usual credentials. The same
 * code either way: the real SDK client, pointed at the local DynamoDB or at AWS. With the variables
 * `mediagate up` prints exported, `--aws --table <STATE_TABLE>` reaches the running local stack too.
 *
 * A change is written with a condition on the version it read, and steps read the registry through a
 * cache of at most 30 s (1 s locally): the next item runs under it, with no restart and no deploy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoTenantRegistry } from '../../functions/adapters/dynamodb-tenant-registry.js';
import type { TenantRecord, TenantRegistryStore } from '../../functions/ports.js';
import {
  applyTenantChange,
  type EffectiveTenant,
  resolveTenant,
  TENANT_SEED,
  type TenantChange,
} from '../../functions/tenants/registry.js';
import { startLocalDynamo } from '../../infra/local/dynamodb.js';
import { acquireLock } from '../../infra/local/lock.js';
import { LOCAL_CREDENTIALS } from '../../infra/local/s3.js';
import { createTables, DEFAULT_STATE_DIR } from '../../infra/local/stack.js';
import { functionEnvironment, LOCAL_REGION } from '../../infra/local/template.js';
import { synthesizeMediagate } from '../../infra/synth.js';

export interface TenantsOptions {
  readonly tier?: string;
  readonly dailyCapUsd?: string;
  readonly monthlyCapUsd?: string;
  readonly thresholds?: string;
  readonly policy?: string;
  readonly tasks?: string;
  readonly rpm?: string;
  readonly tpm?: string;
  readonly principal?: readonly string[];
  readonly unbind?: readonly string[];
  readonly actor?: string;
  readonly json?: boolean;
  readonly aws?: boolean;
  readonly table?: string;
}

const CLEAR = new Set(['none', 'default']);

function usdToMicro(flag: string, value: string): number {
  const usd = Number(value);
  if (!Number.isFinite(usd) || usd < 0)
    throw new Error(`${flag} must be a number of dollars ≥ 0; got "${value}"`);
  return Math.round(usd * 1_000_000);
}

/** `set`'s flags as a change; `none` clears a field back to the tier's default. */
export function changeFromOptions(options: TenantsOptions): TenantChange {
  const change: TenantChange = {};
  const num = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new Error(`${flag} must be a number; got "${value}"`);
    return n;
  };
  if (options.tier) change.tier = options.tier;
  if (options.dailyCapUsd !== undefined)
    change.dailyCapMicroUsd = CLEAR.has(options.dailyCapUsd)
      ? null
      : usdToMicro('--daily-cap-usd', options.dailyCapUsd);
  if (options.monthlyCapUsd !== undefined)
    change.monthlyCapMicroUsd = CLEAR.has(options.monthlyCapUsd)
      ? null
      : usdToMicro('--monthly-cap-usd', options.monthlyCapUsd);
  if (options.thresholds !== undefined)
    change.thresholdsPercent = CLEAR.has(options.thresholds)
      ? null
      : options.thresholds.split(',').map((p) => num('--thresholds', p.trim()));
  if (options.policy !== undefined) change.dlpPolicy = CLEAR.has(options.policy) ? null : options.policy;
  if (options.tasks !== undefined)
    change.allowedTasks =
      CLEAR.has(options.tasks) || options.tasks === 'all'
        ? null
        : options.tasks.split(',').map((t) => t.trim());
  if (options.rpm !== undefined)
    change.requestsPerMinute = CLEAR.has(options.rpm) ? null : num('--rpm', options.rpm);
  if (options.tpm !== undefined)
    change.modelTokensPerMinute = CLEAR.has(options.tpm) ? null : num('--tpm', options.tpm);
  if (options.principal?.length) change.addPrincipals = [...options.principal];
  if (options.unbind?.length) change.removePrincipals = [...options.unbind];
  return change;
}

function usd(micro: number): string {
  return `$${(micro / 1_000_000).toFixed(6).replace(/0{1,4}$/, '')}`;
}

type TenantView = EffectiveTenant & {
  readonly principals: readonly string[];
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
};

function describe(tenant: string, record: TenantRecord | undefined): TenantView {
  const effective = resolveTenant(TENANT_SEED, tenant, record);
  return {
    ...effective,
    principals: record?.principals ?? [],
    updatedAt: record?.updatedAt ?? null,
    updatedBy: record?.updatedBy ?? null,
  };
}

function render(v: TenantView): string {
  const limit = (n: number | undefined) => (n === undefined ? 'unlimited' : String(n));
  return [
    `${v.tenant}  (${v.status}, tier ${v.tier}, ${v.source}${v.version ? ` v${v.version}` : ''})`,
    `    caps:       ${usd(v.dailyCapMicroUsd)}/day · ${usd(v.monthlyCapMicroUsd)}/month · alerts at ${v.thresholdsPercent.join('/')} %`,
    `    limits:     ${limit(v.requestsPerMinute)} requests/min · ${limit(v.modelTokensPerMinute)} model tokens/min`,
    `    dlp policy: ${v.dlpPolicy ?? '(policy file mapping)'} · tasks: ${v.allowedTasks?.join(', ') ?? 'all'}`,
    `    principals: ${v.principals.length ? v.principals.join(', ') : 'none'}`,
    `    changed:    ${v.updatedAt ? `${v.updatedAt} by ${v.updatedBy}` : 'never (defaults)'}`,
  ].join('\n');
}

export async function runTenantsCommand(
  store: TenantRegistryStore,
  action: string,
  tenant: string | undefined,
  options: TenantsOptions,
  out: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const print = (view: TenantView) => out(options.json ? JSON.stringify(view) : render(view));
  if (action === 'list') {
    for (const record of await store.list()) print(describe(record.tenant, record));
    return 0;
  }
  if (!tenant) throw new Error(`tenants ${action} needs a tenant`);
  if (action === 'show') {
    print(describe(tenant, await store.get(tenant)));
    return 0;
  }
  const change: TenantChange =
    action === 'suspend'
      ? { status: 'suspended' }
      : action === 'resume'
        ? { status: 'active' }
        : action === 'set'
          ? changeFromOptions(options)
          : (() => {
              throw new Error(`unknown action "${action}": list, show, set, suspend or resume`);
            })();
  const actor = options.actor ?? process.env.MEDIAGATE_ACTOR ?? `${os.userInfo().username}@${os.hostname()}`;
  // Optimistic: read, change, write on the version read; another operator's change in between → again.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const current = await store.get(tenant);
    const next = applyTenantChange(TENANT_SEED, tenant, current, change, {
      actor,
      at: new Date().toISOString(),
    });
    if (await store.put(next, current)) {
      print(describe(tenant, next));
      return 0;
    }
  }
  throw new Error(`tenant ${tenant} kept changing under us; try again`);
}

/** Connects to the registry (local stack or `--aws --table NAME`) and runs the action. */
export async function runTenants(
  action: string,
  tenant: string | undefined,
  options: TenantsOptions,
): Promise<number> {
  if (options.aws) {
    const tableName = options.table ?? process.env.STATE_TABLE;
    if (!tableName)
      throw new Error('--aws needs --table NAME (or STATE_TABLE): the state table of the deployed stack');
    const client = new DynamoDBClient({});
    try {
      return await runTenantsCommand(createDynamoTenantRegistry(client, tableName), action, tenant, options);
    } finally {
      client.destroy();
    }
  }
  const stateDir = path.resolve(process.env.MEDIAGATE_STATE_DIR ?? DEFAULT_STATE_DIR);
  fs.mkdirSync(stateDir, { recursive: true });
  const release = acquireLock(path.join(stateDir, 'stack.lock'));
  try {
    const { template } = synthesizeMediagate();
    const tableName = functionEnvironment(template).STATE_TABLE;
    if (!tableName) throw new Error('the template defines no STATE_TABLE');
    const dynamo = await startLocalDynamo({ path: path.join(stateDir, 'dynamodb') });
    const client = new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: dynamo.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      await createTables(template, dynamo.endpoint);
      return await runTenantsCommand(createDynamoTenantRegistry(client, tableName), action, tenant, options);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  } finally {
    release();
  }
}
