/**
 * The simulator's bill in the shape of OpenAI's organization Usage and Costs APIs, so the same client
 * code reads the simulator and `api.openai.com` (with an admin key):
 *   GET /v1/organization/usage/completions?start_time&end_time&bucket_width=1d&group_by=model&limit&page
 *   GET /v1/organization/costs?start_time&end_time&bucket_width=1d&group_by=line_item&limit&page
 * Buckets are UTC days; a day with nothing billed is still a bucket, with no results, as OpenAI does.
 * Only `bucket_width=1d` is served (the Costs API knows no other).
 */
import { type BillLine, lineItemCosts } from './bill.js';

const DAY_SECONDS = 86_400;
const SIMULATED_PROJECT = 'proj_simulated';

export class OrganizationQueryError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

interface PageQuery {
  readonly bucketStarts: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
  readonly groupBy: ReadonlySet<string>;
  readonly nextPage: string | null;
}

function integerParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OrganizationQueryError(`Invalid '${name}': expected a non-negative integer.`, name);
  }
  return value;
}

/** `group_by=a&group_by=b`, `group_by[]=a` and `group_by=a,b` all mean the same. */
function groupByParam(query: URLSearchParams, allowed: readonly string[]): Set<string> {
  const values = [...query.getAll('group_by'), ...query.getAll('group_by[]')].flatMap((v) => v.split(','));
  for (const value of values) {
    if (!allowed.includes(value)) {
      throw new OrganizationQueryError(
        `Invalid 'group_by': ${value}. Supported values: ${allowed.join(', ')}.`,
        'group_by',
      );
    }
  }
  return new Set(values);
}

function pageQuery(query: URLSearchParams, allowedGroups: readonly string[], maxLimit: number, now: number) {
  const startTime = integerParam(query, 'start_time');
  if (startTime === undefined) {
    throw new OrganizationQueryError("Missing required parameter: 'start_time'.", 'start_time');
  }
  const endTime = integerParam(query, 'end_time') ?? Math.ceil(now / 1000);
  const bucketWidth = query.get('bucket_width') ?? '1d';
  if (bucketWidth !== '1d') {
    throw new OrganizationQueryError(
      `Invalid 'bucket_width': ${bucketWidth}. The simulator serves 1d.`,
      'bucket_width',
    );
  }
  const limit = integerParam(query, 'limit') ?? 7;
  if (limit < 1 || limit > maxLimit) {
    throw new OrganizationQueryError(`Invalid 'limit': must be between 1 and ${maxLimit}.`, 'limit');
  }
  const page = query.get('page');
  const firstDay = Math.floor(startTime / DAY_SECONDS) * DAY_SECONDS;
  const from = page === null ? firstDay : Number(Buffer.from(page, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(from) || from < firstDay) {
    throw new OrganizationQueryError("Invalid 'page' cursor.", 'page');
  }
  const bucketStarts: number[] = [];
  let day = from;
  for (; day < endTime && bucketStarts.length < limit; day += DAY_SECONDS) bucketStarts.push(day);
  const nextPage = day < endTime ? Buffer.from(String(day), 'utf8').toString('base64url') : null;
  return { bucketStarts, startTime, endTime, groupBy: groupByParam(query, allowedGroups), nextPage };
}

function linesIn(lines: readonly BillLine[], page: PageQuery, bucketStart: number): BillLine[] {
  const from = Math.max(bucketStart, page.startTime);
  const to = Math.min(bucketStart + DAY_SECONDS, page.endTime);
  return lines.filter((line) => {
    const seconds = Date.parse(line.timestamp) / 1000;
    return seconds >= from && seconds < to;
  });
}

function pageOf(page: PageQuery, results: (bucketStart: number) => unknown[]) {
  return {
    object: 'page',
    data: page.bucketStarts.map((start) => ({
      object: 'bucket',
      start_time: start,
      end_time: start + DAY_SECONDS,
      results: results(start),
    })),
    has_more: page.nextPage !== null,
    next_page: page.nextPage,
  };
}

function groupLines<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

export function usageCompletionsPage(lines: readonly BillLine[], query: URLSearchParams, now = Date.now()) {
  // OpenAI's 1d usage buckets: at most 31 a page.
  const page = pageQuery(query, ['model', 'project_id'], 31, now);
  const chat = lines.filter((line) => line.endpoint === 'chat.completions');
  return pageOf(page, (start) => {
    const byModel = page.groupBy.has('model');
    const groups = groupLines(linesIn(chat, page, start), (line) => (byModel ? line.model : ''));
    return [...groups].map(([model, group]) => ({
      object: 'organization.usage.completions.result',
      input_tokens: group.reduce((sum, line) => sum + line.inputTokens, 0),
      output_tokens: group.reduce((sum, line) => sum + line.outputTokens, 0),
      input_cached_tokens: group.reduce((sum, line) => sum + line.cachedTokens, 0),
      input_audio_tokens: group.reduce((sum, line) => sum + line.audioInputTokens, 0),
      output_audio_tokens: group.reduce((sum, line) => sum + line.audioOutputTokens, 0),
      num_model_requests: group.length,
      project_id: page.groupBy.has('project_id') ? SIMULATED_PROJECT : null,
      user_id: null,
      api_key_id: null,
      model: byModel ? model : null,
      batch: null,
      service_tier: null,
    }));
  });
}

export function costsPage(lines: readonly BillLine[], query: URLSearchParams, now = Date.now()) {
  // OpenAI's Costs API: 1 to 180 buckets a page.
  const page = pageQuery(query, ['line_item', 'project_id'], 180, now);
  return pageOf(page, (start) => {
    const byLineItem = page.groupBy.has('line_item');
    const items = linesIn(lines, page, start).flatMap((line) => lineItemCosts(line));
    const groups = groupLines(items, (item) => (byLineItem ? item.lineItem : ''));
    return [...groups].map(([lineItem, group]) => {
      const microUsdE6 = group.reduce((sum, item) => sum + item.microUsdE6, 0n);
      return {
        object: 'organization.costs.result',
        // Unrounded USD, as OpenAI reports it; each bill line's costMicroUsd is rounded up once instead.
        amount: { value: Number(microUsdE6) / 1e12, currency: 'usd' },
        line_item: byLineItem ? lineItem : null,
        project_id: page.groupBy.has('project_id') ? SIMULATED_PROJECT : null,
      };
    });
  });
}
