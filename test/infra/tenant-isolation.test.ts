/**
 * Tenant isolation by IAM, checked with a real policy simulator (@cloud-copilot/iam-simulate) over the
 * synthesized template: every step's tenant-data role, in a session tagged `tenant=acme`, can do what the
 * step needs on acme's objects, items and encryption context, and nothing on beta's (nor on prefixes and
 * tables the step does not use); the steps' own roles reach no tenant data; only a step's own role, with
 * exactly the `tenant` tag, may open such a session. The expectations below are written from what each
 * handler does (functions/<step>/), not read from the stack.
 */
import { createRequire } from 'node:module';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeMediagate } from '../../infra/synth.js';
import { TemplateIam } from './iam-template.js';

type Bucket = 'Ingest' | 'Processed' | 'Results' | 'Quarantine';
type Place = readonly [Bucket, string];
type ItemAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

const ITEM_ACTIONS: readonly ItemAction[] = [
  'GetItem',
  'Query',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'ConditionCheckItem',
];
/** The ledger adapter: one transaction of a conditional Put and aggregate Updates. */
const LEDGER: readonly ItemAction[] = ['PutItem', 'UpdateItem'];
/** The budget store: Get/Query counters and reservations, Put/Update/Delete them and their index items. */
const BUDGET: readonly ItemAction[] = ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'];

interface StepNeeds {
  readonly reads: readonly Place[];
  readonly writes: readonly Place[];
  readonly ledger: readonly ItemAction[];
  readonly state: readonly ItemAction[];
}

const STEPS: Readonly<Record<string, StepNeeds>> = {
  'validate-and-strip': {
    reads: [
      ['Ingest', 'incoming/'],
      ['Ingest', 'realtime/'],
    ],
    writes: [
      ['Processed', 'sanitized/'],
      ['Quarantine', 'quarantine/'],
      // Cache first: a hit's answer, written for this item.
      ['Results', 'results/'],
    ],
    ledger: [],
    // The tenant's registry record (TENANT#<t>#CONFIG): a suspended tenant's item stops here; and cache
    // first, one GetItem of the tenant's result entry.
    state: ['GetItem'],
  },
  preprocess: {
    reads: [
      ['Processed', 'sanitized/'],
      ['Ingest', 'incoming/'],
      ['Ingest', 'realtime/'],
    ],
    writes: [
      ['Processed', 'processed/'],
      ['Quarantine', 'quarantine/'],
    ],
    ledger: [],
    state: [],
  },
  'dlp-check': {
    reads: [
      ['Ingest', 'incoming/'],
      ['Ingest', 'realtime/'],
      ['Processed', 'processed/'],
      // A reused DLP verdict copies the first scan's prompt and redacted image (CopyObject reads the source).
      ['Processed', 'redacted/'],
      ['Processed', 'prompts/'],
      ['Results', 'transcripts/'],
    ],
    writes: [
      ['Processed', 'redacted/'],
      ['Processed', 'prompts/'],
      ['Results', 'transcripts/'],
    ],
    ledger: LEDGER,
    state: BUDGET,
  },
  'invoke-model': {
    reads: [
      ['Processed', 'processed/'],
      ['Processed', 'redacted/'],
      ['Processed', 'prompts/'],
      ['Ingest', 'incoming/'],
      ['Ingest', 'realtime/'],
    ],
    writes: [['Results', 'results/']],
    ledger: LEDGER,
    state: BUDGET,
  },
  'record-cost': { reads: [], writes: [], ledger: LEDGER, state: BUDGET },
};

/** Every place any step touches: a step may touch none of the others'. */
const ALL_PLACES: readonly Place[] = [
  ...new Map(
    Object.values(STEPS)
      .flatMap((needs) => [...needs.reads, ...needs.writes])
      .map((place) => [place.join(':'), place] as const),
  ).values(),
];

const A = 'acme';
const B = 'beta';

let iam: TemplateIam;
let bucketIds: Record<Bucket, string>;
let tables: { ledger: string; state: string };
let keyId: string;

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

async function simulate(args: {
  principal: string;
  policies: { name: string; policy: unknown }[];
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  resourcePolicy?: unknown;
}): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: args.principal,
        action: args.action,
        resource: { resource: args.resource, accountId: iam.account },
        contextVariables: { 'aws:SecureTransport': 'true', ...args.context },
      },
      identityPolicies: args.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(args.resourcePolicy ? { resourcePolicy: args.resourcePolicy } : {}),
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  if (result.resultType === 'single') {
    // A context key the simulator does not know for the action would be ignored: that must not pass silently.
    expect(result.result.ignoredContextKeys ?? [], `${args.action} ignored keys`).toEqual([]);
  }
  return result.overallResult as Decision;
}

/**
 * KMS decisions come from the simulator's engine without its input validation: the validated entry point
 * drops `kms:EncryptionContext:<key>` from the request (its variable-key match needs a `/`), which would
 * make every context condition look unmet, and its unvalidated `runUnsafeSimulation` fails on a resource
 * policy, which KMS always needs (a key policy must allow). So the engine's `authorize` is called as
 * `runUnsafeSimulation` calls it, with the key policy given a name.
 */
const requireFromSimulator = createRequire(
  createRequire(import.meta.url).resolve('@cloud-copilot/iam-simulate'),
);
const engine = requireFromSimulator('./core_engine/CoreSimulatorEngine.js') as {
  authorize(args: Record<string, unknown>): { result: Decision };
};
const { AwsRequestImpl } = requireFromSimulator('./request/request.js') as {
  AwsRequestImpl: new (...args: unknown[]) => unknown;
};
const { RequestContextImpl } = requireFromSimulator('./requestContext.js') as {
  RequestContextImpl: new (values: Record<string, unknown>) => unknown;
};
const { DiscoveryContextKeyConstraints } = requireFromSimulator(
  './context_keys/discoveryContextKeyConstraints.js',
) as { DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown };
const { loadPolicy } = requireFromSimulator('@cloud-copilot/iam-policy') as {
  loadPolicy(policy: unknown, metadata: { name: string }): unknown;
};

function simulateKms(args: {
  principal: string;
  policies: { name: string; policy: unknown }[];
  action: string;
  context: Record<string, string>;
}): Decision {
  const request = new AwsRequestImpl(
    args.principal,
    { resource: iam.arn(keyId), accountId: iam.account },
    args.action,
    new RequestContextImpl({
      'aws:SecureTransport': 'true',
      'kms:CallerAccount': iam.account,
      ...args.context,
    }),
  );
  return engine.authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: args.policies.map((p) => loadPolicy(p.policy, { name: p.name })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: loadPolicy(iam.resourcePolicyOf(keyId), { name: 'key-policy' }),
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: {} },
  }).result;
}

function objectArn(place: Place, tenant: string, name = 'mg-0123/file'): string {
  return `${iam.arn(bucketIds[place[0]])}/${place[1]}${tenant}/${name}`;
}

/** A session of the step's tenant-data role, tagged with `tenant`. */
function tenantSession(step: string, tenant: string) {
  const { tenantRoleId } = iam.step(step);
  if (!tenantRoleId) throw new Error(`${step} has no tenant-data role`);
  return {
    principal: `arn:aws:sts::${iam.account}:assumed-role/${tenantRoleId}/${step}-${tenant}`,
    policies: iam.identityPolicies(tenantRoleId),
    tag: { 'aws:PrincipalTag/tenant': tenant },
  };
}

beforeAll(() => {
  const { template, stack } = synthesizeMediagate();
  iam = new TemplateIam(template, stack.account, stack.region);
  bucketIds = {
    Ingest: iam.idOf('AWS::S3::Bucket', 'IngestBucket'),
    Processed: iam.idOf('AWS::S3::Bucket', 'ProcessedBucket'),
    Results: iam.idOf('AWS::S3::Bucket', 'ResultsBucket'),
    Quarantine: iam.idOf('AWS::S3::Bucket', 'QuarantineBucket'),
  };
  tables = {
    ledger: iam.idOf('AWS::DynamoDB::GlobalTable', 'TablesLedger'),
    state: iam.idOf('AWS::DynamoDB::GlobalTable', 'TablesState'),
  };
  keyId = iam.idOf('AWS::KMS::Key', 'DataKey');
});

it("the data key's policy delegates to IAM in the account", () => {
  const policy = iam.resourcePolicyOf(keyId) as {
    Statement: { Effect: string; Principal?: { AWS?: string }; Action: string | string[] }[];
  };
  expect(policy.Statement).toContainEqual(
    expect.objectContaining({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${iam.account}:root` },
      Action: 'kms:*',
    }),
  );
});

describe.each(Object.entries(STEPS))(
  'the %s tenant-data role in a session tagged tenant=acme',
  (step, needs) => {
    const s3 = async (action: string, resource: string, context: Record<string, string> = {}) => {
      const session = tenantSession(step, A);
      const bucketId = Object.values(bucketIds).find((id) => resource.startsWith(iam.arn(id)));
      return simulate({
        ...session,
        action,
        resource,
        context: { ...session.tag, ...context },
        resourcePolicy: bucketId ? iam.resourcePolicyOf(bucketId) : undefined,
      });
    };

    it('reads and lists its own objects where the step reads, and none of the other tenant', async () => {
      for (const place of needs.reads) {
        const bucket = iam.arn(bucketIds[place[0]]);
        expect(await s3('s3:GetObject', objectArn(place, A)), `${place} own`).toBe('Allowed');
        expect(await s3('s3:GetObjectVersion', objectArn(place, A)), `${place} own version`).toBe('Allowed');
        expect(await s3('s3:GetObject', objectArn(place, B)), `${place} other`).not.toBe('Allowed');
        expect(await s3('s3:GetObjectVersion', objectArn(place, B)), `${place} other`).not.toBe('Allowed');
        // A tenant whose id starts with ours is another tenant.
        expect(await s3('s3:GetObject', objectArn(place, `${A}-b`)), `${place} prefix-sharing`).not.toBe(
          'Allowed',
        );
        expect(
          await s3('s3:ListBucket', bucket, { 's3:prefix': `${place[1]}${A}/` }),
          `${place} list own`,
        ).toBe('Allowed');
        expect(
          await s3('s3:ListBucket', bucket, { 's3:prefix': `${place[1]}${B}/` }),
          `${place} list other`,
        ).not.toBe('Allowed');
        expect(await s3('s3:ListBucket', bucket, { 's3:prefix': place[1] }), `${place} list all`).not.toBe(
          'Allowed',
        );
        expect(await s3('s3:ListBucket', bucket), `${place} list, no prefix`).not.toBe('Allowed');
      }
    });

    it('writes its own objects where the step writes, and none of the other tenant', async () => {
      for (const place of needs.writes) {
        expect(await s3('s3:PutObject', objectArn(place, A)), `${place} own`).toBe('Allowed');
        expect(await s3('s3:PutObject', objectArn(place, B)), `${place} other`).not.toBe('Allowed');
        expect(await s3('s3:PutObject', objectArn(place, `${A}-b`)), `${place} prefix-sharing`).not.toBe(
          'Allowed',
        );
      }
    });

    it('touches no prefix the step does not use, and never deletes an object', async () => {
      const reads = new Set(needs.reads.map((place) => place.join(':')));
      const writes = new Set(needs.writes.map((place) => place.join(':')));
      for (const place of ALL_PLACES) {
        if (!reads.has(place.join(':')))
          expect(await s3('s3:GetObject', objectArn(place, A)), `${place} read`).not.toBe('Allowed');
        if (!writes.has(place.join(':')))
          expect(await s3('s3:PutObject', objectArn(place, A)), `${place} write`).not.toBe('Allowed');
        expect(await s3('s3:DeleteObject', objectArn(place, A)), `${place} delete`).not.toBe('Allowed');
      }
    });

    it.each([
      ['ledger', 'TENANT#acme', ['TENANT#beta', 'TENANT#acme-b', 'TENANT#beta#LEDGER']],
      [
        'state',
        'TENANT#acme#RESERVATION',
        ['TENANT#beta#RESERVATION', 'TENANT#acme-b#BUDGET', 'TENANT#beta', 'breaker#gpt-4o', 'ORG#openai'],
      ],
    ] as const)(
      'does on the %s table exactly what the step needs, on its own items only',
      async (table, own, others) => {
        const session = tenantSession(step, A);
        const allowed = table === 'ledger' ? needs.ledger : needs.state;
        const item = (action: string, leadingKeys?: string[]) =>
          simulate({
            ...session,
            action: `dynamodb:${action}`,
            resource: iam.arn(tables[table]),
            context: { ...session.tag, ...(leadingKeys ? { 'dynamodb:LeadingKeys': leadingKeys } : {}) },
          });
        for (const action of ITEM_ACTIONS) {
          const expected = allowed.includes(action) ? 'Allowed' : 'ImplicitlyDenied';
          expect(await item(action, [own]), `${action} ${own}`).toBe(expected);
          for (const other of others)
            expect(await item(action, [other]), `${action} ${other}`).not.toBe('Allowed');
          // Without a leading key (as a Scan would be), nothing: ForAllValues alone would have let it through.
          expect(await item(action), `${action} without a key`).not.toBe('Allowed');
        }
        expect(await item('Scan'), 'Scan').not.toBe('Allowed');
      },
    );

    it("encrypts and decrypts through S3 only under its own objects' context", () => {
      const session = tenantSession(step, A);
      const kms = (action: string, context: Record<string, string>) =>
        simulateKms({ ...session, action, context: { ...session.tag, ...context } });
      const viaS3 = { 'kms:ViaService': `s3.${iam.region}.amazonaws.com` };
      for (const place of needs.writes) {
        const own = { ...viaS3, 'kms:EncryptionContext:aws:s3:arn': objectArn(place, A) };
        expect(kms('kms:GenerateDataKey', { ...own, 'kms:EncryptionContext:tenant': A }), `${place}`).toBe(
          'Allowed',
        );
        expect(
          kms('kms:GenerateDataKey', { ...own, 'kms:EncryptionContext:tenant': B }),
          `${place} ctx`,
        ).not.toBe('Allowed');
        expect(
          kms('kms:GenerateDataKey', {
            ...viaS3,
            'kms:EncryptionContext:aws:s3:arn': objectArn(place, B),
            'kms:EncryptionContext:tenant': A,
          }),
          `${place} other object`,
        ).not.toBe('Allowed');
      }
      for (const place of needs.reads) {
        const own = { ...viaS3, 'kms:EncryptionContext:aws:s3:arn': objectArn(place, A) };
        expect(kms('kms:Decrypt', { ...own, 'kms:EncryptionContext:tenant': A }), `${place}`).toBe('Allowed');
        // Uploads through a presigned POST carry only S3's own context: the object's ARN decides.
        expect(kms('kms:Decrypt', own), `${place} upload`).toBe('Allowed');
        expect(kms('kms:Decrypt', { ...own, 'kms:EncryptionContext:tenant': B }), `${place} ctx`).not.toBe(
          'Allowed',
        );
        expect(
          kms('kms:Decrypt', { ...viaS3, 'kms:EncryptionContext:aws:s3:arn': objectArn(place, B) }),
          `${place} other object`,
        ).not.toBe('Allowed');
      }
      // Never directly, outside S3 (or DynamoDB): the session cannot decrypt a copied ciphertext.
      expect(kms('kms:Decrypt', { 'kms:EncryptionContext:tenant': A })).not.toBe('Allowed');
    });

    it('uses the table key only through DynamoDB, for the tables the step uses', () => {
      const session = tenantSession(step, A);
      const viaDynamo = { 'kms:ViaService': `dynamodb.${iam.region}.amazonaws.com` };
      for (const table of ['ledger', 'state'] as const) {
        const used = (table === 'ledger' ? needs.ledger : needs.state).length > 0;
        const decision = simulateKms({
          ...session,
          action: 'kms:Decrypt',
          context: {
            ...session.tag,
            ...viaDynamo,
            'kms:EncryptionContext:aws:dynamodb:tableName': iam.physicalName(tables[table]),
          },
        });
        expect(decision, table).toBe(used ? 'Allowed' : 'ImplicitlyDenied');
      }
    });
  },
);

describe("the steps' own roles", () => {
  it.each(Object.keys(STEPS))('%s reaches no tenant object or item as itself', async (step) => {
    const { functionRoleId } = iam.step(step);
    const me = {
      principal: `arn:aws:sts::${iam.account}:assumed-role/${functionRoleId}/${step}`,
      policies: iam.identityPolicies(functionRoleId),
    };
    for (const place of ALL_PLACES) {
      expect(await simulate({ ...me, action: 's3:GetObject', resource: objectArn(place, A) })).not.toBe(
        'Allowed',
      );
      expect(await simulate({ ...me, action: 's3:PutObject', resource: objectArn(place, A) })).not.toBe(
        'Allowed',
      );
    }
    for (const table of Object.values(tables)) {
      for (const key of ['TENANT#acme', 'TENANT#acme#RESERVATION']) {
        for (const action of ['GetItem', 'PutItem', 'UpdateItem']) {
          const decision = await simulate({
            ...me,
            action: `dynamodb:${action}`,
            resource: iam.arn(table),
            context: { 'dynamodb:LeadingKeys': [key] },
          });
          expect(decision, `${action} ${key}`).not.toBe('Allowed');
        }
      }
    }
  });

  it('InvokeModel keeps the shared breaker and the organisation rate buckets on its own role', async () => {
    const { functionRoleId } = iam.step('invoke-model');
    const me = {
      principal: `arn:aws:sts::${iam.account}:assumed-role/${functionRoleId}/invoke-model`,
      policies: iam.identityPolicies(functionRoleId),
    };
    const item = (action: string, key: string) =>
      simulate({
        ...me,
        action: `dynamodb:${action}`,
        resource: iam.arn(tables.state),
        context: { 'dynamodb:LeadingKeys': [key] },
      });
    for (const key of ['breaker#gpt-4o', 'ORG#openai#RATE']) {
      for (const action of ['GetItem', 'PutItem', 'UpdateItem'])
        expect(await item(action, key)).toBe('Allowed');
      expect(await item('DeleteItem', key)).not.toBe('Allowed');
    }
    expect(await item('GetItem', 'TENANT#acme#RESULT')).not.toBe('Allowed');
  });
});

describe('the audit trail', () => {
  const AUDITED = ['validate-and-strip', 'dlp-check', 'invoke-model', 'record-cost'];
  const ownRole = (step: string) => {
    const { functionRoleId } = iam.step(step);
    return {
      principal: `arn:aws:sts::${iam.account}:assumed-role/${functionRoleId}/${step}`,
      policies: iam.identityPolicies(functionRoleId),
    };
  };
  const item = (step: string, action: string, key: string) =>
    simulate({
      ...ownRole(step),
      action: `dynamodb:${action}`,
      resource: iam.arn(tables.state),
      context: { 'dynamodb:LeadingKeys': [key] },
    });
  const record = () =>
    `${iam.arn(iam.idOf('AWS::S3::Bucket', 'AuditBucket'))}/records/acme/000000000001.json`;

  it.each(AUDITED)(
    '%s may only queue its decisions: no queue reads, no chain heads, no records',
    async (step) => {
      expect(await item(step, 'PutItem', 'AUDIT#QUEUE#3')).toBe('Allowed');
      for (const action of ['GetItem', 'Query', 'DeleteItem', 'BatchWriteItem', 'UpdateItem'])
        expect(await item(step, action, 'AUDIT#QUEUE#3'), action).not.toBe('Allowed');
      for (const action of ['GetItem', 'PutItem']) {
        expect(await item(step, action, 'TENANT#acme#AUDIT'), action).not.toBe('Allowed');
        expect(await item(step, action, 'AUDIT#HEAD'), action).not.toBe('Allowed');
      }
      for (const action of ['s3:PutObject', 's3:GetObject'])
        expect(await simulate({ ...ownRole(step), action, resource: record() }), action).not.toBe('Allowed');
    },
  );

  it('chain-audit reads and empties the queue and moves the chains, and touches no tenant data', async () => {
    for (const action of ['Query', 'BatchWriteItem'])
      expect(await item('chain-audit', action, 'AUDIT#QUEUE#3'), action).toBe('Allowed');
    for (const action of ['GetItem', 'PutItem'])
      expect(await item('chain-audit', action, 'TENANT#acme#AUDIT'), action).toBe('Allowed');
    for (const key of ['TENANT#acme', 'TENANT#acme#RESULT', 'TENANT#acme#CONFIG', 'breaker#gpt-4o'])
      expect(await item('chain-audit', 'GetItem', key), key).not.toBe('Allowed');
    const chainer = ownRole('chain-audit');
    expect(await simulate({ ...chainer, action: 's3:PutObject', resource: record() })).toBe('Allowed');
    expect(await simulate({ ...chainer, action: 's3:DeleteObject', resource: record() })).not.toBe('Allowed');
    for (const place of ALL_PLACES)
      expect(await simulate({ ...chainer, action: 's3:GetObject', resource: objectArn(place, A) })).not.toBe(
        'Allowed',
      );
  });
});

describe('opening a tenant session', () => {
  const assume = async (callerStep: string, targetStep: string, tags: Record<string, string>) => {
    const { functionRoleId } = iam.step(callerStep);
    const { tenantRoleId } = iam.step(targetStep);
    if (!tenantRoleId) throw new Error(`${targetStep} has no tenant-data role`);
    const decisions: Decision[] = [];
    for (const action of ['sts:AssumeRole', 'sts:TagSession']) {
      decisions.push(
        await simulate({
          principal: iam.arn(functionRoleId),
          policies: iam.identityPolicies(functionRoleId),
          action,
          resource: iam.arn(tenantRoleId),
          context: {
            ...Object.fromEntries(
              Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]),
            ),
            'aws:TagKeys': Object.keys(tags),
          },
          resourcePolicy: iam.trustPolicy(tenantRoleId),
        }),
      );
    }
    return decisions;
  };

  it.each(Object.keys(STEPS))("%s's own role may, with exactly the tenant tag", async (step) => {
    expect(await assume(step, step, { tenant: A })).toEqual(['Allowed', 'Allowed']);
    expect(await assume(step, step, {})).not.toContain('Allowed');
    expect(await assume(step, step, { tenant: A, team: 'x' })).not.toContain('Allowed');
  });

  it("no step may open another step's tenant session", async () => {
    const steps = Object.keys(STEPS);
    for (const caller of steps) {
      for (const target of steps) {
        if (caller === target) continue;
        expect(await assume(caller, target, { tenant: A }), `${caller} → ${target}`).not.toContain('Allowed');
      }
    }
  });
});
