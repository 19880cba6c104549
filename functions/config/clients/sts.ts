/**
 * Credentials scoped to one tenant: the step's function role assumes its tenant-data role (infra
 * constructs/tenant-data-role.ts) with the session tag `tenant=<id>`, and IAM then admits only that
 * tenant's prefixes, items and encryption context. Each tenant's credentials are kept until shortly
 * before they expire; concurrent first uses share one AssumeRole. The STS client is loaded on the first
 * assume, so functions that never assume (presign, analyze) do not pay for it at cold start.
 */
import type { STSClient } from '@aws-sdk/client-sts';
import { TENANT_ID } from '../../pipeline/execution-input.js';
import { perTenant } from '../per-tenant.js';
import type { RuntimeConfig } from '../settings.js';

/** What an SDK client's `credentials` accepts. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type CredentialsProvider = () => Promise<SessionCredentials>;

/** Role chaining caps a session at one hour. */
const SESSION_SECONDS = 3600;
/** Renewed this long before expiry; the SDK itself refreshes 5 min ahead, so ours must be at least that. */
const REFRESH_MARGIN_MS = 6 * 60_000;

export interface TenantCredentialsOptions {
  readonly roleArn: string;
  readonly region: string;
  /** Names the session in CloudTrail: `<step>-<tenant>`. */
  readonly sessionPrefix: string;
  readonly maxTenants?: number;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
  /** @default a new STSClient in `region` */
  readonly sts?: () => Promise<Pick<STSClient, 'send'>>;
}

export function createTenantCredentials(
  options: TenantCredentialsOptions,
): (tenant: string) => CredentialsProvider {
  const now = options.now ?? Date.now;
  let client: Promise<Pick<STSClient, 'send'>> | undefined;
  const sts = () => {
    client ??=
      options.sts?.() ??
      import('@aws-sdk/client-sts').then(({ STSClient }) => new STSClient({ region: options.region }));
    return client;
  };
  return perTenant((tenant) => {
    // The tag is substituted into ARNs and key patterns: only a valid tenant id may become one.
    if (!TENANT_ID.test(tenant)) throw new RangeError('not a tenant id');
    let current: SessionCredentials | undefined;
    let pending: Promise<SessionCredentials> | undefined;
    const assume = async (): Promise<SessionCredentials> => {
      const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
      const { Credentials } = await (await sts()).send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: `${options.sessionPrefix}-${tenant}`.slice(0, 64),
          DurationSeconds: SESSION_SECONDS,
          Tags: [{ Key: 'tenant', Value: tenant }],
        }),
      );
      if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.Expiration) {
        throw new Error('AssumeRole returned no credentials');
      }
      return {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
        expiration: Credentials.Expiration,
      };
    };
    return async () => {
      if (current?.expiration && current.expiration.getTime() - now() > REFRESH_MARGIN_MS) return current;
      pending ??= assume().finally(() => {
        pending = undefined;
      });
      current = await pending;
      return current;
    };
  }, options.maxTenants);
}

/**
 * The one place that decides whose credentials touch tenant data: the tenant's session where the stack
 * gave the function a tenant-data role (AWS), the process's own credentials where it did not (the local
 * stack, which has no STS). Returns undefined for "the process's own".
 */
export function tenantCredentials(
  config: RuntimeConfig,
): (tenant: string) => CredentialsProvider | undefined {
  const roleArn = config.tenantRoleArn;
  if (!roleArn) return () => undefined;
  return createTenantCredentials({
    roleArn,
    region: config.region,
    sessionPrefix: config.dedicatedStep ?? 'mediagate',
  });
}
