import { describe, expect, it } from 'vitest';
import { checkModelOutput } from '../../../functions/model/output-schema.js';
import { findTask } from '../../../functions/model/tasks.js';

const classify = findTask('classify')?.responseSchema?.schema ?? {};

describe('model output check', () => {
  it('accepts an answer that fits the task schema', () => {
    expect(
      checkModelOutput('{"category":"photo","confidence":0.9,"containsText":false}', classify),
    ).toMatchObject({ ok: true });
  });

  it('rejects an answer that is not JSON', () => {
    expect(checkModelOutput('{"category":"photo",', classify)).toEqual({
      ok: false,
      problem: 'the answer is not JSON',
    });
  });

  it('rejects a value outside the enum and names only the path, never the value', () => {
    const check = checkModelOutput(
      '{"category":"SSN 123-45-6789","confidence":0.9,"containsText":false}',
      classify,
    );
    expect(check.ok).toBe(false);
    expect(JSON.stringify(check)).not.toContain('123-45-6789');
    expect(JSON.stringify(check)).toContain('/category');
  });

  it('rejects a missing required property and an extra one', () => {
    expect(checkModelOutput('{"category":"photo","confidence":0.9}', classify).ok).toBe(false);
    expect(
      checkModelOutput('{"category":"photo","confidence":0.9,"containsText":true,"extra":1}', classify).ok,
    ).toBe(false);
  });

  it('rejects a number out of its bounds', () => {
    expect(checkModelOutput('{"category":"photo","confidence":1.5,"containsText":true}', classify).ok).toBe(
      false,
    );
  });
});
