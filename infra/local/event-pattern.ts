/**
 * The subset of EventBridge event patterns the template uses: value lists (equality) and `prefix`
 * matchers, nested objects. Used so the local stack routes S3 events by the Rule CDK synthesized.
 */
export function matchesEventPattern(event: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
    throw new Error('an event pattern must be an object');
  }
  if (typeof event !== 'object' || event === null) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    const actual = (event as Record<string, unknown>)[field];
    if (Array.isArray(expected)) {
      if (!expected.some((matcher) => matchesValue(actual, matcher))) return false;
    } else if (!matchesEventPattern(actual, expected)) {
      return false;
    }
  }
  return true;
}

function matchesValue(actual: unknown, matcher: unknown): boolean {
  if (typeof matcher === 'object' && matcher !== null) {
    const { prefix, ...rest } = matcher as { prefix?: unknown };
    if (Object.keys(rest).length > 0 || typeof prefix !== 'string') {
      throw new Error(`unsupported event pattern matcher ${JSON.stringify(matcher)}`);
    }
    return typeof actual === 'string' && actual.startsWith(prefix);
  }
  if (Array.isArray(actual)) return actual.includes(matcher);
  return actual === matcher;
}
