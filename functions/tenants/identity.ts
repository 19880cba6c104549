/**
 * Which tenant a caller belongs to. The presign function URL (and `POST /v1/analyze`) is behind IAM, so
 * AWS tells the function who signed the request (`requestContext.authorizer.iam.userArn`). The registry
 * binds principals to tenants (`mediagate tenants set T --principal ARN`); the caller's tenant is the one
 * its principal is bound to, and a body naming another tenant is refused (`403 TENANT_MISMATCH`).
 *
 * A role's sessions sign as `arn:aws:sts::<account>:assumed-role/<role>/<session>`; they are bound by the
 * role, `arn:aws:iam::<account>:role/<role>` (roles with a path are bound by their ARN without the path,
 * the form STS reports). A principal that is not bound may name its tenant only when binding is
 * `optional` (the local stack, by default); in AWS it is `required`, so an unbound caller is refused.
 */
import type { TenantDirectory } from './registry.js';
import { TENANT_ID } from './registry.js';

export type TenantBinding = 'required' | 'optional';

export type CallerTenant =
  | {
      readonly ok: true;
      readonly tenant: string;
      readonly boundBy?: string;
      /** The DLP policy the tenant's registry record names, if it names one. */
      readonly dlpPolicy?: string;
    }
  | {
      readonly ok: false;
      readonly status: 400 | 403;
      readonly reason: 'TENANT_MISMATCH' | 'TENANT_UNBOUND' | 'TENANT_SUSPENDED' | 'BAD_TENANT';
      readonly message: string;
    };

/**
 * Who signed a function-URL request: AWS puts the SigV4 signer's ARN into the request context
 * (`authorizer.iam.userArn`) of a URL with `AWS_IAM` auth; undefined when the request was not signed.
 */
export function signerArnOf(requestContext: unknown): string | undefined {
  const arn = (requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined)?.authorizer
    ?.iam?.userArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
}

/** The principal a signed request stands for: an assumed-role session becomes its role. */
export function principalOf(callerArn: string): string {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : callerArn;
}

export async function callerTenant(
  deps: { tenants: TenantDirectory; binding: TenantBinding },
  caller: { readonly arn?: string; readonly requestedTenant?: string },
): Promise<CallerTenant> {
  const requested = caller.requestedTenant;
  if (requested !== undefined && !TENANT_ID.test(requested))
    return {
      ok: false,
      status: 400,
      reason: 'BAD_TENANT',
      message: 'tenant must match [a-z0-9][a-z0-9-]{0,62}',
    };
  const principal = caller.arn ? principalOf(caller.arn) : undefined;
  const bound = principal
    ? ((await deps.tenants.tenantOfPrincipal(principal)) ??
      (principal !== caller.arn && caller.arn ? await deps.tenants.tenantOfPrincipal(caller.arn) : undefined))
    : undefined;
  if (bound !== undefined && requested !== undefined && requested !== bound) {
    return {
      ok: false,
      status: 403,
      reason: 'TENANT_MISMATCH',
      message: 'the caller belongs to another tenant than the one the request names',
    };
  }
  const tenant = bound ?? (deps.binding === 'optional' ? requested : undefined);
  if (tenant === undefined) {
    return bound === undefined && requested === undefined
      ? {
          ok: false,
          status: 400,
          reason: 'BAD_TENANT',
          message: 'the request names no tenant and the caller is bound to none',
        }
      : {
          ok: false,
          status: 403,
          reason: 'TENANT_UNBOUND',
          message:
            'the caller is not bound to a tenant in the registry (mediagate tenants set T --principal ARN)',
        };
  }
  const effective = await deps.tenants.resolve(tenant);
  if (effective.status === 'suspended')
    return { ok: false, status: 403, reason: 'TENANT_SUSPENDED', message: 'the tenant is suspended' };
  return {
    ok: true,
    tenant,
    ...(bound ? { boundBy: principal } : {}),
    ...(effective.dlpPolicy ? { dlpPolicy: effective.dlpPolicy } : {}),
  };
}
