/**
 * Reads IAM out of a synthesized template for the policy simulator: resolves the intrinsics our stack
 * uses to concrete ARNs (the test stack has a fixed account and region) and collects each role's
 * identity policies. Unknown intrinsics throw, so a template change cannot silently drop a statement.
 */
import type { CfnTemplate } from '../../infra/synth.js';

type Json = unknown;

export class TemplateIam {
  constructor(
    private readonly template: CfnTemplate,
    readonly account: string,
    readonly region: string,
  ) {}

  private resource(id: string): { Type: string; Properties?: Record<string, unknown> } {
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource;
  }

  /** A name CloudFormation would generate: lower-case for buckets, as S3 requires. */
  physicalName(id: string): string {
    const type = this.resource(id).Type;
    return type === 'AWS::S3::Bucket' ? id.toLowerCase() : id;
  }

  arn(id: string): string {
    const { Type } = this.resource(id);
    const name = this.physicalName(id);
    switch (Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${this.region}:${this.account}:table/${name}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${this.region}:${this.account}:key/${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${this.account}:role/${name}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${this.region}:${this.account}:log-group:${name}:*`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
      default:
        return `arn:aws:unknown:${this.region}:${this.account}:${Type}/${name}`;
    }
  }

  /** The value with every intrinsic replaced by what CloudFormation would put there. */
  resolve(value: Json): Json {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, Json>;
    if ('Ref' in object) {
      const ref = String(object.Ref);
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return this.region;
      if (ref === 'AWS::AccountId') return this.account;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      return this.physicalName(ref);
    }
    if ('Fn::GetAtt' in object) {
      const [id, attribute] = object['Fn::GetAtt'] as [string, string];
      if (attribute === 'Arn') return this.arn(id);
      throw new Error(`unresolved Fn::GetAtt ${id}.${attribute}`);
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, Json[]];
      return parts.map((part) => String(this.resolve(part))).join(separator);
    }
    const keys = Object.keys(object);
    if (keys.some((key) => key.startsWith('Fn::'))) throw new Error(`unresolved intrinsic ${keys.join(',')}`);
    return Object.fromEntries(keys.map((key) => [key, this.resolve(object[key])]));
  }

  /** Every identity policy attached to the role (its inline and AWS::IAM::Policy documents). */
  identityPolicies(roleId: string): { name: string; policy: Json }[] {
    const policies: { name: string; policy: Json }[] = [];
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      const roles = (resource.Properties?.Roles ?? []) as { Ref?: string }[];
      if (roles.some((role) => role.Ref === roleId)) {
        policies.push({ name: id, policy: this.resolve(resource.Properties?.PolicyDocument) });
      }
    }
    const role = this.resource(roleId);
    for (const inline of (role.Properties?.Policies ?? []) as {
      PolicyName: string;
      PolicyDocument: Json;
    }[]) {
      policies.push({ name: inline.PolicyName, policy: this.resolve(inline.PolicyDocument) });
    }
    if (((role.Properties?.ManagedPolicyArns ?? []) as unknown[]).length > 0) {
      throw new Error(`${roleId} has managed policies this reader does not simulate`);
    }
    return policies;
  }

  trustPolicy(roleId: string): Json {
    return this.resolve(this.resource(roleId).Properties?.AssumeRolePolicyDocument);
  }

  /** The resource policy of a bucket or a key, as S3 and KMS would evaluate it. */
  resourcePolicyOf(id: string): Json | undefined {
    const resource = this.resource(id);
    if (resource.Type === 'AWS::KMS::Key') return this.resolve(resource.Properties?.KeyPolicy);
    for (const candidate of Object.values(this.template.Resources)) {
      if (candidate.Type !== 'AWS::S3::BucketPolicy') continue;
      const bucket = candidate.Properties?.Bucket as { Ref?: string } | undefined;
      if (bucket?.Ref === id) return this.resolve(candidate.Properties?.PolicyDocument);
    }
    return undefined;
  }

  /** Logical id of the only resource of `type` whose id starts with `prefix`. */
  idOf(type: string, prefix: string): string {
    const ids = Object.entries(this.template.Resources)
      .filter(([id, resource]) => resource.Type === type && id.startsWith(prefix))
      .map(([id]) => id);
    if (ids.length !== 1) throw new Error(`${ids.length} ${type} resources start with ${prefix}`);
    return ids[0] as string;
  }

  /** The function of a step (by MEDIAGATE_STEP), its role, and the tenant-data role it may assume. */
  step(step: string): { functionRoleId: string; tenantRoleId?: string } {
    const variablesOf = (resource: { Properties?: Record<string, unknown> }): Record<string, Json> =>
      (resource.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
    const found = Object.values(this.template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' && variablesOf(resource).MEDIAGATE_STEP === step,
    );
    if (!found?.Properties) throw new Error(`no function for step ${step}`);
    const functionRoleId = (found.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const variables = variablesOf(found);
    const tenantRole = variables.MEDIAGATE_TENANT_ROLE_ARN as { 'Fn::GetAtt': [string, string] } | undefined;
    return { functionRoleId, ...(tenantRole ? { tenantRoleId: tenantRole['Fn::GetAtt'][0] } : {}) };
  }
}
