/**
 * Checks of the retry and breaker policy overrides, apart from the model wiring so that the CDK app can
 * run them at synth time without loading SDK clients or the step wrapper (whose logger reads its level
 * from the environment when it is first imported).
 */
import { DEFAULT_BREAKER_POLICY } from '../model/breaker.js';
import { DEFAULT_RETRY_POLICY } from '../model/retry-policy.js';

/** A policy override naming a field the policy does not have is a typo that would silently do nothing. */
function checkOverride(name: string, override: object | undefined, policy: object): void {
  const unknown = Object.keys(override ?? {}).filter((key) => !Object.hasOwn(policy, key));
  if (unknown.length > 0) throw new Error(`${name} has unknown fields: ${unknown.join(', ')}`);
}

/** Throws when an override names a field the retry or breaker policy does not have. */
export function checkPolicyOverrides(retry: object | undefined, breaker: object | undefined): void {
  checkOverride('the retry policy (MEDIAGATE_RETRY_POLICY)', retry, DEFAULT_RETRY_POLICY);
  checkOverride('the breaker policy (MEDIAGATE_BREAKER_POLICY)', breaker, DEFAULT_BREAKER_POLICY);
}
