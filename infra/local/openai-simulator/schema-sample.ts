/**
 * Builds the smallest value that fits a JSON schema, as Structured Outputs would guarantee. Covers the
 * subset OpenAI accepts in strict mode: object/array/string/number/integer/boolean/null, enum, const,
 * anyOf, local `$ref`s into `$defs`/`definitions`, and the min* bounds.
 */
type Schema = Record<string, unknown>;

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (!node || typeof node !== 'object') throw new Error(`unresolved $ref ${ref}`);
  return node as Schema;
}

function sampleString(schema: Schema, label: string): string {
  const format = schema.format;
  if (format === 'date-time') return '2026-01-01T00:00:00Z';
  if (format === 'date') return '2026-01-01';
  if (format === 'email') return 'simulated@example.com';
  if (format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  let value = `[simulated] ${label}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  while (value.length < min) value += '.';
  return value.slice(0, max);
}

function sampleNumber(schema: Schema, integer: boolean): number {
  let value = 0;
  if (typeof schema.minimum === 'number') value = schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number') value = schema.exclusiveMinimum + (integer ? 1 : 0.5);
  if (typeof schema.maximum === 'number' && value > schema.maximum) value = schema.maximum;
  return integer ? Math.ceil(value) : value;
}

function sample(root: Schema, schema: Schema, label: string, depth: number): unknown {
  if (depth > 32) throw new Error('schema nests too deeply (recursive $ref?)');
  if (typeof schema.$ref === 'string') return sample(root, resolveRef(root, schema.$ref), label, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(variants) && variants[0]) return sample(root, variants[0], label, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      // Strict mode makes every property required; fill them all so any `required` list is met.
      for (const [name, child] of Object.entries(properties))
        out[name] = sample(root, child, name, depth + 1);
      return out;
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const count = typeof schema.minItems === 'number' ? schema.minItems : 1;
      return Array.from({ length: count }, () => sample(root, items, label, depth + 1));
    }
    case 'string':
      return sampleString(schema, label);
    case 'integer':
      return sampleNumber(schema, true);
    case 'number':
      return sampleNumber(schema, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return `[simulated] ${label}`;
  }
}

export function sampleFromSchema(schema: Record<string, unknown>): unknown {
  return sample(schema, schema, 'value', 0);
}
