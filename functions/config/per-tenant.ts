/**
 * One value per tenant (SDK clients, adapters, credentials), built on first use and kept for the
 * process's next items of that tenant. Bounded: past `maxTenants` the least recently used is dropped,
 * so a process that sees many tenants does not grow without end.
 */
export const DEFAULT_MAX_TENANTS = 64;

export function perTenant<T>(
  build: (tenant: string) => T,
  maxTenants: number = DEFAULT_MAX_TENANTS,
): (tenant: string) => T {
  if (!Number.isInteger(maxTenants) || maxTenants < 1) throw new RangeError('maxTenants must be ≥ 1');
  const values = new Map<string, T>();
  return (tenant) => {
    const cached = values.get(tenant);
    if (cached !== undefined || values.has(tenant)) {
      // Map order is insertion order: re-inserting marks the tenant as the most recently used.
      values.delete(tenant);
      values.set(tenant, cached as T);
      return cached as T;
    }
    const value = build(tenant);
    values.set(tenant, value);
    if (values.size > maxTenants) {
      const oldest = values.keys().next().value;
      if (oldest !== undefined) values.delete(oldest);
    }
    return value;
  };
}
