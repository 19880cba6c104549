/**
 * Reads the synthesized CloudFormation template so the local stack runs the very definitions CDK produced:
 * the state machine's ASL (intrinsics resolved to local names), the tables' key schemas, the buckets and
 * each function's environment. Nothing here restates the pipeline by hand.
 */

import { TENANT_ROLE_ENV } from '../grants.js';
import type { CfnTemplate } from '../synth.js';

import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-account.js';

export { LOCAL_ACCOUNT, LOCAL_REGION };

type Resource = CfnTemplate['Resources'][string];

export type TaskBinding =
  | { readonly kind: 'lambda'; readonly logicalId: string; readonly step: string }
  | { readonly kind: 'putEvents' };

export interface LocalDefinition {
  /** The ASL document, exactly as deployed but for ARNs and names resolved to the local stack. */
  readonly definition: { StartAt: string; States: Record<string, Record<string, unknown>> };
  /** What each Task state's Resource means locally. */
  readonly tasks: Readonly<Record<string, TaskBinding>>;
}

/** Local names: buckets and tables are named after their logical ids, so they are stable across runs. */
export function localName(logicalId: string, resource: Resource): string {
  if (resource.Type === 'AWS::S3::Bucket')
    return `mediagate-${logicalId.toLowerCase().replace(/[^a-z0-9-]/g, '')}`;
  return logicalId;
}

export function lambdaArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
}

/**
 * Resolves the intrinsics CDK uses in environments and definitions: Ref, Fn::GetAtt (Arn, and a function
 * URL as a placeholder the local stack replaces), Fn::Join.
 */
export function resolveIntrinsics(value: unknown, template: CfnTemplate): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, template));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = String(object.Ref);
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return LOCAL_REGION;
    if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const resource = template.Resources[ref];
    if (!resource) throw new Error(`template has no resource ${ref}`);
    return localName(ref, resource);
  }
  if ('Fn::GetAtt' in object) {
    const [logicalId, attribute] = object['Fn::GetAtt'] as [string, string];
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`template has no resource ${logicalId}`);
    // A function URL is served on loopback once the local stack runs; until then it is a placeholder.
    if (resource.Type === 'AWS::Lambda::Url' && attribute === 'FunctionUrl') return `local://${logicalId}/`;
    if (attribute !== 'Arn') throw new Error(`cannot resolve ${logicalId}.${attribute} locally`);
    if (resource.Type === 'AWS::Lambda::Function') return lambdaArn(logicalId);
    if (resource.Type === 'AWS::Events::EventBus')
      return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${logicalId}`;
    return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveIntrinsics(part, template))).join(separator);
  }
  return Object.fromEntries(
    Object.entries(object).map(([key, item]) => [key, resolveIntrinsics(item, template)]),
  );
}

function resourcesOfType(template: CfnTemplate, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The definition of the Standard pipeline (uploads) or the Express one (`POST /v1/analyze`). */
export function stateMachineDefinition(
  template: CfnTemplate,
  workflow: 'standard' | 'express' = 'standard',
): LocalDefinition {
  const machines = resourcesOfType(template, 'AWS::StepFunctions::StateMachine').filter(
    ([, resource]) => (resource.Properties?.StateMachineType === 'EXPRESS') === (workflow === 'express'),
  );
  if (machines.length !== 1 || !machines[0])
    throw new Error(`expected one ${workflow} state machine, found ${machines.length}`);
  const definitionString = resolveIntrinsics(machines[0][1].Properties?.DefinitionString, template);
  if (typeof definitionString !== 'string') throw new Error('state machine has no DefinitionString');
  const definition = JSON.parse(definitionString) as LocalDefinition['definition'];

  const functionByArn = new Map(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => [
      lambdaArn(logicalId),
      { logicalId, resource },
    ]),
  );
  const tasks: Record<string, TaskBinding> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    if (resource === 'arn:aws:states:::events:putEvents') {
      tasks[name] = { kind: 'putEvents' };
      continue;
    }
    const fn = functionByArn.get(resource);
    const step = (fn?.resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables?.MEDIAGATE_STEP;
    if (!fn || typeof step !== 'string') {
      throw new Error(`state ${name} uses ${resource}, which the local stack cannot run`);
    }
    tasks[name] = { kind: 'lambda', logicalId: fn.logicalId, step };
  }
  return { definition, tasks };
}

export function bucketNames(template: CfnTemplate): string[] {
  return resourcesOfType(template, 'AWS::S3::Bucket').map(([logicalId, resource]) =>
    localName(logicalId, resource),
  );
}

export interface LocalTableDefinition {
  readonly TableName: string;
  readonly KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE' };
  }[];
  readonly TimeToLiveAttribute?: string;
}

/** CreateTable inputs for every table in the template (TableV2 synthesizes AWS::DynamoDB::GlobalTable). */
export function tableDefinitions(template: CfnTemplate): LocalTableDefinition[] {
  return [
    ...resourcesOfType(template, 'AWS::DynamoDB::GlobalTable'),
    ...resourcesOfType(template, 'AWS::DynamoDB::Table'),
  ].map(([logicalId, resource]) => {
    const properties = resource.Properties as {
      KeySchema: LocalTableDefinition['KeySchema'];
      AttributeDefinitions: LocalTableDefinition['AttributeDefinitions'];
      GlobalSecondaryIndexes?: {
        IndexName: string;
        KeySchema: LocalTableDefinition['KeySchema'];
        Projection?: { ProjectionType?: string };
      }[];
      TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
    };
    return {
      TableName: localName(logicalId, resource),
      KeySchema: properties.KeySchema,
      AttributeDefinitions: properties.AttributeDefinitions,
      GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes?.map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: { ProjectionType: (index.Projection?.ProjectionType ?? 'ALL') as 'ALL' },
      })),
      TimeToLiveAttribute: properties.TimeToLiveSpecification?.Enabled
        ? properties.TimeToLiveSpecification.AttributeName
        : undefined,
    };
  });
}

/**
 * The environment the functions see, resolved to local names. All handlers share one process locally,
 * so variables with one name must agree across functions; a conflict is a template bug and fails loudly.
 */
export function functionEnvironment(template: CfnTemplate): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const variables =
      (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {};
    for (const [name, raw] of Object.entries(variables)) {
      // Per function; and the local stack has no STS, so its steps keep the process's own credentials.
      if (name === 'MEDIAGATE_STEP' || name === TENANT_ROLE_ENV) continue;
      const value = String(resolveIntrinsics(raw, template));
      if (merged[name] !== undefined && merged[name] !== value) {
        throw new Error(`function ${logicalId} sets ${name} differently from another function`);
      }
      merged[name] = value;
    }
  }
  return merged;
}

/** A function an EventBridge schedule runs, and how often when the schedule is a `rate(…)`. */
export interface ScheduledStep {
  readonly step: string;
  readonly expression: string;
  /** The period of a `rate(N minutes|hours)` schedule; undefined for a `cron(…)` one. */
  readonly everyMs?: number;
}

const RATE_UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The steps that EventBridge schedules run (rules with a ScheduleExpression targeting one of our
 * functions): the audit chainer, the reservation sweeper, the daily audit-head signer. The local stack
 * runs the `rate(…)` ones on its (compressed) clock, and all of them when asked (`LocalStack.runSchedules`,
 * and whenever the stack stops), shortest period first: the chainer's work is what the daily signer signs.
 */
export function scheduledSteps(template: CfnTemplate): ScheduledStep[] {
  const stepByArn = new Map(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => [
      lambdaArn(logicalId),
      (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.MEDIAGATE_STEP,
    ]),
  );
  const scheduled = new Map<string, ScheduledStep>();
  for (const [, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
    const expression = rule.Properties?.ScheduleExpression;
    if (typeof expression !== 'string') continue;
    const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
    const everyMs = rate ? Number(rate[1]) * (RATE_UNIT_MS[rate[2] ?? ''] ?? Number.NaN) : undefined;
    for (const target of (rule.Properties?.Targets as { Arn?: unknown }[] | undefined) ?? []) {
      const step = stepByArn.get(String(resolveIntrinsics(target.Arn, template)));
      if (typeof step === 'string')
        scheduled.set(step, { step, expression, ...(everyMs ? { everyMs } : {}) });
    }
  }
  return [...scheduled.values()].sort(
    (a, b) => (a.everyMs ?? Number.POSITIVE_INFINITY) - (b.everyMs ?? Number.POSITIVE_INFINITY),
  );
}
