/**
 * Checks a model answer against the task's JSON schema. Structured Outputs should guarantee the shape,
 * but an answer cut short by `max_completion_tokens`, a fallback endpoint without strict mode, or a model
 * change can still break it; a bad answer must be rejected, never passed on.
 */
import { fromJSONSchema, type ZodType } from 'zod';

const compiled = new WeakMap<Record<string, unknown>, ZodType>();

export type OutputCheck =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: string };

export function checkModelOutput(text: string, schema: Record<string, unknown>): OutputCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the answer is not JSON' };
  }
  let validator = compiled.get(schema);
  if (!validator) {
    validator = fromJSONSchema(schema);
    compiled.set(schema, validator);
  }
  const result = validator.safeParse(parsed);
  if (result.success) return { ok: true, value: result.data };
  // Paths and codes only: the offending values are model output and may contain PII.
  const issue = result.error.issues[0];
  return {
    ok: false,
    problem: `the answer does not fit the schema (${issue?.code ?? 'invalid'} at /${issue?.path.join('/') ?? ''})`,
  };
}
