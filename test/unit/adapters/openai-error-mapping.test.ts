import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs, toModelCallError } from '../../../functions/adapters/openai-model-client.js';

function apiError(
  status: number,
  body: { code?: string; type?: string } = {},
  headers: Record<string, string> = {},
) {
  return APIError.generate(
    status,
    {
      error: {
        message: 'upstream says no',
        code: body.code ?? null,
        type: body.type ?? 'server_error',
        param: null,
      },
    },
    undefined,
    new Headers({ 'x-request-id': 'req_abc', ...headers }),
  );
}

describe('OpenAI error mapping', () => {
  it.each([408, 409, 429, 500, 502, 503, 504])('treats %i as retryable', (status) => {
    expect(toModelCallError(apiError(status)).kind).toBe('retryable');
  });

  it('reads retry-after-ms before retry-after', () => {
    const error = toModelCallError(apiError(429, {}, { 'retry-after-ms': '250.5', 'retry-after': '7' }));
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 251, requestId: 'req_abc' });
  });

  it('reads retry-after in seconds and as an HTTP date', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(
      3_000,
    );
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
  });

  it('maps insufficient_quota to quota, not to a retry', () => {
    expect(
      toModelCallError(apiError(429, { code: 'insufficient_quota', type: 'insufficient_quota' })).kind,
    ).toBe('quota');
  });

  it.each([401, 403])('maps %i to auth', (status) => {
    expect(toModelCallError(apiError(status)).kind).toBe('auth');
  });

  it.each([400, 404, 422])('maps %i to invalid', (status) => {
    expect(toModelCallError(apiError(status, { type: 'invalid_request_error' })).kind).toBe('invalid');
  });

  it('maps a content-policy 400 to refused', () => {
    expect(toModelCallError(apiError(400, { code: 'content_policy_violation' })).kind).toBe('refused');
  });

  it('treats connection failures, timeouts and unparseable bodies as retryable', () => {
    expect(toModelCallError(new APIConnectionError({ message: 'reset' })).kind).toBe('retryable');
    expect(toModelCallError(new APIConnectionTimeoutError()).kind).toBe('retryable');
    expect(toModelCallError(new SyntaxError('Unexpected end of JSON input'), 'req_x')).toMatchObject({
      kind: 'retryable',
      details: { requestId: 'req_x' },
    });
  });

  it('keeps the upstream message out of the error, which may echo content', () => {
    expect(toModelCallError(apiError(400)).message).not.toContain('upstream says no');
  });

  it('rethrows anything else: that is a bug, not an outage', () => {
    expect(() => toModelCallError(new TypeError('x is undefined'))).toThrow(TypeError);
  });
});
