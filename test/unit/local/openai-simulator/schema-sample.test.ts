import { describe, expect, it } from 'vitest';
import { checkModelOutput } from '../../../../functions/model/output-schema.js';
import { allTasks } from '../../../../functions/model/tasks.js';
import { sampleFromSchema } from '../../../../infra/local/openai-simulator/schema-sample.js';

describe('simulated structured outputs', () => {
  it('fills every property with a value of its type, honouring enum and bounds', () => {
    // Prepare
    const schema = {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['b', 'a'] },
        count: { type: 'integer', minimum: 3 },
        ratio: { type: 'number' },
        flag: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        maybe: { type: ['string', 'null'] },
        code: { type: 'string', minLength: 40 },
      },
      required: ['kind', 'count', 'ratio', 'flag', 'tags', 'maybe', 'code'],
      additionalProperties: false,
    };

    // Act
    const value = sampleFromSchema(schema) as Record<string, unknown>;

    // Assess
    expect(value.kind).toBe('b');
    expect(value.count).toBe(3);
    expect(value.ratio).toBe(0);
    expect(value.flag).toBe(false);
    expect(value.tags).toHaveLength(2);
    expect(typeof value.maybe).toBe('string');
    expect((value.code as string).length).toBeGreaterThanOrEqual(40);
    expect(checkModelOutput(JSON.stringify(value), schema).ok).toBe(true);
  });

  it('follows local $refs into $defs', () => {
    const schema = {
      type: 'object',
      properties: { item: { $ref: '#/$defs/item' } },
      required: ['item'],
      additionalProperties: false,
      $defs: {
        item: {
          type: 'object',
          properties: { id: { type: 'string', const: 'x' } },
          required: ['id'],
          additionalProperties: false,
        },
      },
    };
    expect(sampleFromSchema(schema)).toEqual({ item: { id: 'x' } });
  });

  it.each(
    allTasks()
      .filter((task) => task.responseSchema)
      .map((task) => [task.id, task] as const),
  )('produces an answer that passes the output check for task %s', (_id, task) => {
    const schema = task.responseSchema?.schema ?? {};
    expect(checkModelOutput(JSON.stringify(sampleFromSchema(schema)), schema)).toMatchObject({ ok: true });
  });
});
