/**
 * The local DynamoDB: dynalite behind a small loopback HTTP front.
 *
 * dynalite implements the single-item API faithfully but not transactions or TTL updates, and the ledger
 * depends on `TransactWriteItems` (ledger item + aggregates in one all-or-nothing write). The front is
 * the only socket: it hands every request to dynalite's request handler in the same thread, unchanged,
 * except:
 *
 * - `TransactWriteItems`: each action is applied as its single-item equivalent with its own
 *   ConditionExpression (all side by side: they name distinct items, all locked), answering the item's
 *   old image (`ReturnValues: ALL_OLD`). `ConditionCheck` becomes `UpdateItem REMOVE
 *   #<sentinel>` with the same condition: the condition is evaluated by dynalite itself, and removing an
 *   attribute nobody has changes nothing; when the item did not exist, UpdateItem created a key-only
 *   item, which is deleted at once (invisible, see the locks below). If any condition fails, the
 *   already-applied actions are rolled back from their old images (Put back, or Delete when there was
 *   none) and the answer is DynamoDB's `TransactionCanceledException` with one `CancellationReasons`
 *   entry per action (`None` for the rest, `Item` when `ReturnValuesOnConditionCheckFailure: ALL_OLD`).
 *   Any other error (validation, missing table) rolls back and is returned as is. `ClientRequestToken`
 *   is honoured for 10 minutes, as in DynamoDB: the same token and request answers success again
 *   without applying anything; the same token with another request is
 *   `IdempotentParameterMismatchException`.
 * - `TransactGetItems`: the gets hold their items' locks together, so they see one consistent state.
 * - `UpdateTimeToLive` / `DescribeTimeToLive`: the setting is recorded (and persisted with `path`) and
 *   described like DynamoDB; expired items are **not** deleted (DynamoDB itself may take up to 48 h, so
 *   no code here relies on TTL for correctness).
 *
 * Isolation is per item (dynamodb-locks.ts), so transactions on different items never wait on each other:
 *
 * | request                                         | item lock (each item it names) | table lock (each table) |
 * | ----------------------------------------------- | ------------------------------ | ----------------------- |
 * | TransactWriteItems                              | exclusive                      | `transaction`           |
 * | TransactGetItems                                | shared                         | —                       |
 * | GetItem, PutItem, UpdateItem, DeleteItem        | shared                         | —                       |
 * | Query, Scan, BatchGetItem, BatchWriteItem, PartiQL SELECT | —                    | `multi-item`            |
 * | control plane (CreateTable, DescribeTable, …)   | —                              | —                       |
 *
 * Why this is enough: a transaction holds its items exclusively from its first read of an old image to
 * its last write or rollback, so no single-item request can see a value that is later rolled back, or
 * write one that a rollback would then erase (the lost update the tests provoke without locks); two
 * transactions on one item serialise, and hold all their locks until done (two-phase). Single-item
 * requests share the item lock with each other because dynalite makes each of them atomic on its own.
 * A Query or Scan cannot name its items in advance, so it excludes transactions from the whole table
 * instead (`transaction` holders share with each other, `multi-item` holders with each other, never the
 * two together): it never sees a half-applied transaction, a key-only ConditionCheck item or a write
 * about to be rolled back, which is DynamoDB's read-committed guarantee. Batch writes take the same
 * table lock since their puts and deletes must not land inside a transaction either. Locks are taken in
 * one global order, so there is no deadlock.
 */

import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { itemLockName, type LockRequest, LockTable, tableLockName, tokenLockName } from './dynamodb-locks.js';

interface DynaliteOptions {
  readonly path?: string;
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}
// dynalite ships no type declarations; this is the one function we use.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

/** What dynalite's handler uses of a response: the front's own `ServerResponse`, or a `CollectedAnswer`. */
interface DynaliteAnswer {
  statusCode: number;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  end(body?: string): unknown;
}
type DynaliteHandler = (
  request: EventEmitter & { method: string; url: string; headers: IncomingHttpHeaders },
  answer: DynaliteAnswer,
) => void;

/** A response to one of the front's own calls (the steps of a transaction), kept rather than sent. */
class CollectedAnswer implements DynaliteAnswer {
  statusCode = 200;
  contentType: string | undefined;
  constructor(private readonly done: (status: number, body: string) => void) {}
  setHeader(): this {
    return this;
  }
  end(body = ''): this {
    this.done(this.statusCode, body);
    return this;
  }
}

export interface LocalDynamo {
  endpoint: string;
  /** A real SDK client for this server (the caller destroys it). */
  client(): DynamoDBClient;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** Directory for on-disk persistence (LevelDB); omit to keep everything in memory. */
  path?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /**
   * Test-only: take no locks at all, to show that the locks are what keep concurrent transactions from
   * losing each other's updates. Never set it anywhere else.
   */
  unsafeNoLocks?: boolean;
  /**
   * Test-only: awaited while a transaction holds its locks, after its actions are applied and before it
   * commits or rolls back; lets a test keep a transaction open and show who waits for it.
   */
  holdTransaction?: (items: readonly { table: string; key: AttributeMap }[]) => Promise<void>;
}

type AttributeMap = Record<string, unknown>;
type Json = Record<string, unknown>;

const API = 'DynamoDB_20120810';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
const TOKEN_TTL_MS = 10 * 60 * 1000;
const CONDITION_CHECK_SENTINEL = '__mediagate_condition_check__';

interface InnerResponse {
  readonly status: number;
  readonly body: Json;
}

class DynamoError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.message ?? body.Message ?? body.__type));
  }
}

function errorType(body: Json): string {
  const type = String(body.__type ?? '');
  return type.slice(type.lastIndexOf('#') + 1);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function requestId(): string {
  return randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0');
}

function sendJson(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/x-amz-json-1.0');
  res.setHeader('x-amzn-RequestId', requestId());
  res.setHeader('x-amz-crc32', String(crc32(text)));
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function validation(message: string): DynamoError {
  return new DynamoError(400, { __type: 'com.amazon.coral.validate#ValidationException', message });
}

function expressionFields(action: Json): Json {
  const fields: Json = {};
  for (const name of ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues']) {
    if (action[name] !== undefined) fields[name] = action[name];
  }
  return fields;
}

interface AppliedAction {
  readonly table: string;
  readonly key: AttributeMap;
  readonly oldImage: AttributeMap | undefined;
}

type ActionKind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';

interface ParsedAction {
  readonly kind: ActionKind;
  readonly body: Json;
  readonly table: string;
  readonly key: AttributeMap;
}

class TransactionFront {
  private readonly locks = new LockTable();
  private readonly tokens = new Map<string, { hash: string; at: number }>();
  private readonly ttl = new Map<string, { AttributeName: string; Enabled: boolean }>();
  /** Key attribute names by table: a transaction's Put and a PutItem name their item by its key. */
  private readonly keySchemas = new Map<string, Promise<string[]>>();

  constructor(
    private readonly dynalite: DynaliteHandler,
    private readonly options: Pick<LocalDynamoOptions, 'unsafeNoLocks' | 'holdTransaction'>,
    private readonly ttlFile: string | undefined,
  ) {}

  async loadTtl(): Promise<void> {
    if (!this.ttlFile) return;
    try {
      const saved = JSON.parse(await readFile(this.ttlFile, 'utf8')) as Record<
        string,
        { AttributeName: string; Enabled: boolean }
      >;
      for (const [table, spec] of Object.entries(saved)) this.ttl.set(table, spec);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const [api, operation] = String(req.headers['x-amz-target'] ?? '').split('.');
    if (req.method === 'POST' && api === API) {
      const own = this.ownOperation(operation);
      if (own) {
        // Each own operation takes the locks it needs once it knows which items and tables it touches.
        try {
          const answer = await own.call(this, JSON.parse(body.toString('utf8') || '{}') as Json);
          sendJson(res, 200, answer);
        } catch (error) {
          if (error instanceof DynamoError) sendJson(res, error.status, error.body);
          else if (error instanceof SyntaxError) {
            sendJson(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
          } else sendJson(res, 500, { __type: `${ERROR_PREFIX}InternalServerError`, message: String(error) });
        }
        return;
      }
    }
    const release = await this.lock(await this.forwardedLocks(operation, body));
    try {
      await this.forward(req, body, res);
    } finally {
      release();
    }
  }

  private lock(requests: readonly LockRequest[]): Promise<() => void> {
    if (this.options.unsafeNoLocks || requests.length === 0) return Promise.resolve(() => {});
    return this.locks.acquireAll(requests);
  }

  /** The locks a request dynalite answers itself must hold (see the table at the top of this file). */
  private async forwardedLocks(operation: string | undefined, body: Buffer): Promise<LockRequest[]> {
    let request: Json;
    try {
      request = JSON.parse(body.toString('utf8') || '{}') as Json;
    } catch {
      return []; // dynalite answers the SerializationException
    }
    const table = String(request.TableName ?? '');
    switch (operation) {
      case 'GetItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return [{ name: itemLockName(table, (request.Key ?? {}) as AttributeMap), mode: 'shared' }];
      case 'PutItem': {
        const names = await this.keyNames(table).catch(() => undefined);
        // No such table: nothing to protect, and dynalite answers ResourceNotFoundException.
        if (!names) return [];
        const item = (request.Item ?? {}) as AttributeMap;
        const key = Object.fromEntries(names.map((n) => [n, item[n]]));
        return [{ name: itemLockName(table, key), mode: 'shared' }];
      }
      case 'Query':
      case 'Scan':
        return [{ name: tableLockName(table), mode: 'multi-item' }];
      case 'BatchGetItem':
      case 'BatchWriteItem':
        return Object.keys((request.RequestItems ?? {}) as Json).map((name) => ({
          name: tableLockName(name),
          mode: 'multi-item' as const,
        }));
      case 'CreateTable':
      case 'DeleteTable':
      case 'UpdateTable':
        this.keySchemas.delete(table);
        return [];
      default:
        return [];
    }
  }

  private ownOperation(operation: string | undefined): ((request: Json) => Promise<Json>) | undefined {
    switch (operation) {
      case 'TransactWriteItems':
        return this.transactWrite;
      case 'TransactGetItems':
        return this.transactGet;
      case 'UpdateTimeToLive':
        return this.updateTimeToLive;
      case 'DescribeTimeToLive':
        return this.describeTimeToLive;
      case 'ExecuteStatement':
        return this.executeStatement;
      default:
        return undefined;
    }
  }

  /** Hands a request to dynalite, which answers on `res` itself. */
  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
      try {
        this.dispatch(req.method ?? 'POST', req.url ?? '/', req.headers, body, res);
      } catch (error) {
        if (!res.headersSent)
          sendJson(res, 500, { __type: `${ERROR_PREFIX}InternalServerError`, message: String(error) });
        resolve();
      }
    });
  }

  /** One call to dynalite, bypassing the locks (the caller holds what it needs). */
  private call(operation: string, payload: Json): Promise<InnerResponse> {
    const date = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `${API}.${operation}`,
      'x-amz-date': date,
      // dynalite checks the header's shape, not the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
    };
    return new Promise((resolve, reject) => {
      const answer = new CollectedAnswer((status, raw) => {
        try {
          resolve({ status, body: raw ? (JSON.parse(raw) as Json) : {} });
        } catch (error) {
          reject(error);
        }
      });
      try {
        this.dispatch('POST', '/', headers, Buffer.from(JSON.stringify(payload)), answer);
      } catch (error) {
        reject(error);
      }
    });
  }

  /**
   * dynalite's own request handler, called in this thread: its parsing, validation and storage run as
   * they would behind its socket, without a second HTTP round trip per request (and per transaction
   * action).
   */
  private dispatch(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    answer: DynaliteAnswer,
  ): void {
    const request = Object.assign(new EventEmitter(), { method, url, headers });
    this.dynalite(request, answer);
    if (body.length > 0) request.emit('data', body);
    request.emit('end');
  }

  private async callOk(operation: string, payload: Json): Promise<Json> {
    const answer = await this.call(operation, payload);
    if (answer.status !== 200) throw new DynamoError(answer.status, answer.body);
    return answer.body;
  }

  /** A table's key schema never changes while it exists; it is forgotten when the table is (re)created. */
  private keyNames(table: string): Promise<string[]> {
    let names = this.keySchemas.get(table);
    if (!names) {
      names = this.callOk('DescribeTable', { TableName: table }).then((described) => {
        const schema = (described.Table as Json | undefined)?.KeySchema as
          | { AttributeName: string }[]
          | undefined;
        return (schema ?? []).map((k) => k.AttributeName);
      });
      names.catch(() => this.keySchemas.delete(table));
      this.keySchemas.set(table, names);
    }
    return names;
  }

  private async parse(items: unknown): Promise<ParsedAction[]> {
    if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
      throw validation('TransactItems must hold between 1 and 100 actions');
    }
    const seen = new Set<string>();
    const parsed: ParsedAction[] = [];
    for (const item of items as Json[]) {
      const kinds = (['Put', 'Update', 'Delete', 'ConditionCheck'] as const).filter(
        (k) => item[k] !== undefined,
      );
      const kind = kinds[0];
      if (kinds.length !== 1 || !kind) throw validation('each TransactItem must hold exactly one action');
      const body = item[kind] as Json;
      const table = String(body.TableName ?? '');
      let key: AttributeMap;
      if (kind === 'Put') {
        const names = await this.keyNames(table);
        const record = (body.Item ?? {}) as AttributeMap;
        key = Object.fromEntries(names.map((n) => [n, record[n]]));
        if (names.some((n) => record[n] === undefined)) {
          throw validation('One or more parameter values were invalid: Missing the key in the item');
        }
      } else {
        key = (body.Key ?? {}) as AttributeMap;
      }
      const id = itemLockName(table, key);
      if (seen.has(id))
        throw validation('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      parsed.push({ kind, body, table, key });
    }
    return parsed;
  }

  private async transactWrite(request: Json): Promise<Json> {
    const token = typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : undefined;
    const actions = await this.parse(request.TransactItems);
    const release = await this.lock([
      ...(token ? [{ name: tokenLockName(token), mode: 'exclusive' as const }] : []),
      ...actions.map((a) => ({ name: tableLockName(a.table), mode: 'transaction' as const })),
      ...actions.map((a) => ({ name: itemLockName(a.table, a.key), mode: 'exclusive' as const })),
    ]);
    try {
      return await this.transactWriteLocked(request, token, actions);
    } finally {
      release();
    }
  }

  private async transactWriteLocked(
    request: Json,
    token: string | undefined,
    actions: readonly ParsedAction[],
  ): Promise<Json> {
    const now = Date.now();
    for (const [old, entry] of this.tokens) if (now - entry.at > TOKEN_TTL_MS) this.tokens.delete(old);
    const hash = createHash('sha256').update(JSON.stringify(request.TransactItems)).digest('hex');
    if (token) {
      const previous = this.tokens.get(token);
      if (previous && previous.hash === hash) return {};
      if (previous) {
        throw new DynamoError(400, {
          __type: `${ERROR_PREFIX}IdempotentParameterMismatchException`,
          message: 'Request parameters do not match the earlier request with this ClientRequestToken',
        });
      }
    }
    const applied: AppliedAction[] = [];
    // The actions name distinct items, all locked by this transaction, so they are applied side by side:
    // one round of reads and one of writes instead of one of each per action.
    const settled = await Promise.allSettled(actions.map((action) => this.apply(action, applied)));
    const failure = settled.find((result) => result.status === 'rejected');
    try {
      if (failure) throw failure.reason;
      await this.options.holdTransaction?.(actions.map(({ table, key }) => ({ table, key })));
    } catch (error) {
      await this.rollback(applied);
      throw error;
    }
    const reasons = settled.map((result) =>
      result.status === 'fulfilled' && result.value ? result.value : { Code: 'None' },
    );
    const cancelled = reasons.some((reason) => reason.Code !== 'None');
    if (cancelled) {
      await this.rollback(applied);
      const codes = reasons.map((r) => String(r.Code)).join(', ');
      throw new DynamoError(400, {
        __type: `${ERROR_PREFIX}TransactionCanceledException`,
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
        CancellationReasons: reasons,
      });
    }
    if (token) this.tokens.set(token, { hash, at: now });
    return {};
  }

  /** Applies one action; returns a cancellation reason when its condition failed. */
  private async apply(action: ParsedAction, applied: AppliedAction[]): Promise<Json | undefined> {
    const { kind, body, table, key } = action;
    let operation: string;
    let payload: Json;
    switch (kind) {
      case 'Put':
        operation = 'PutItem';
        payload = { TableName: table, Item: body.Item, ...expressionFields(body) };
        break;
      case 'Delete':
        operation = 'DeleteItem';
        payload = { TableName: table, Key: key, ...expressionFields(body) };
        break;
      case 'Update':
        operation = 'UpdateItem';
        payload = {
          TableName: table,
          Key: key,
          UpdateExpression: body.UpdateExpression,
          ...expressionFields(body),
        };
        break;
      case 'ConditionCheck': {
        operation = 'UpdateItem';
        const names = {
          ...((body.ExpressionAttributeNames as Json | undefined) ?? {}),
          '#mgcc': CONDITION_CHECK_SENTINEL,
        };
        payload = {
          TableName: table,
          Key: key,
          UpdateExpression: 'REMOVE #mgcc',
          ...expressionFields(body),
          ExpressionAttributeNames: names,
        };
        break;
      }
    }
    // The write answers the old image itself (one call instead of a read and a write); the item is
    // locked, so nothing changes it in between.
    const answer = await this.call(operation, { ...payload, ReturnValues: 'ALL_OLD' });
    if (answer.status !== 200) {
      if (errorType(answer.body) === 'ConditionalCheckFailedException') {
        const reason: Json = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
        if (body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') {
          const current = await this.callOk('GetItem', { TableName: table, Key: key, ConsistentRead: true });
          if (current.Item) reason.Item = current.Item;
        }
        return reason;
      }
      throw new DynamoError(answer.status, answer.body);
    }
    const oldImage = answer.body.Attributes as AttributeMap | undefined;
    if (kind === 'ConditionCheck') {
      // The check passed; undo the key-only item UpdateItem creates when there was no item.
      if (!oldImage) await this.callOk('DeleteItem', { TableName: table, Key: key });
      return undefined;
    }
    applied.push({ table, key, oldImage });
    return undefined;
  }

  /** Puts back each item's old image (or deletes what did not exist); distinct items, so side by side. */
  private async rollback(applied: AppliedAction[]): Promise<void> {
    await Promise.all(
      applied.map((action) =>
        action.oldImage
          ? this.callOk('PutItem', { TableName: action.table, Item: action.oldImage })
          : this.callOk('DeleteItem', { TableName: action.table, Key: action.key }),
      ),
    );
    applied.length = 0;
  }

  private async transactGet(request: Json): Promise<Json> {
    const items = request.TransactItems;
    if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
      throw validation('TransactItems must hold between 1 and 100 actions');
    }
    const gets = (items as Json[]).map((item) => {
      const get = item.Get as Json | undefined;
      if (!get) throw validation('each TransactGetItem must hold a Get');
      return get;
    });
    // Holding every item at once (shared) keeps transactions out until the last get: one consistent state.
    const release = await this.lock(
      gets.map((get) => ({
        name: itemLockName(String(get.TableName ?? ''), (get.Key ?? {}) as AttributeMap),
        mode: 'shared' as const,
      })),
    );
    try {
      const responses: Json[] = [];
      for (const get of gets) {
        const payload: Json = { TableName: get.TableName, Key: get.Key, ConsistentRead: true };
        if (get.ProjectionExpression !== undefined) payload.ProjectionExpression = get.ProjectionExpression;
        if (get.ExpressionAttributeNames !== undefined)
          payload.ExpressionAttributeNames = get.ExpressionAttributeNames;
        const answer = await this.callOk('GetItem', payload);
        responses.push(answer.Item ? { Item: answer.Item } : {});
      }
      return { Responses: responses };
    } finally {
      release();
    }
  }

  private async updateTimeToLive(request: Json): Promise<Json> {
    const table = String(request.TableName ?? '');
    const spec = request.TimeToLiveSpecification as
      | { AttributeName?: unknown; Enabled?: unknown }
      | undefined;
    if (!spec || typeof spec.AttributeName !== 'string' || typeof spec.Enabled !== 'boolean') {
      throw validation('TimeToLiveSpecification needs AttributeName and Enabled');
    }
    await this.callOk('DescribeTable', { TableName: table });
    const previous = this.ttl.get(table);
    if (previous?.Enabled === spec.Enabled) {
      throw validation(`TimeToLive is already ${spec.Enabled ? 'enabled' : 'disabled'}`);
    }
    const recorded = { AttributeName: spec.AttributeName, Enabled: spec.Enabled };
    this.ttl.set(table, recorded);
    if (this.ttlFile) await writeFile(this.ttlFile, JSON.stringify(Object.fromEntries(this.ttl)));
    return { TimeToLiveSpecification: recorded };
  }

  private async describeTimeToLive(request: Json): Promise<Json> {
    const table = String(request.TableName ?? '');
    await this.callOk('DescribeTable', { TableName: table });
    const spec = this.ttl.get(table);
    if (!spec) return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
    return {
      TimeToLiveDescription: spec.Enabled
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: spec.AttributeName }
        : { TimeToLiveStatus: 'DISABLED' },
    };
  }
  /** PartiQL `SELECT`, as far as finance's statements need it: run as the equivalent Query (or Scan). */
  private async executeStatement(request: Json): Promise<Json> {
    const select = parseSelect(
      String(request.Statement ?? ''),
      (request.Parameters as unknown[] | undefined) ?? [],
    );
    const described = (await this.callOk('DescribeTable', { TableName: select.table })).Table as Json;
    let keySchema = described.KeySchema as { AttributeName: string; KeyType: string }[];
    if (select.index) {
      const indexes = [
        ...((described.GlobalSecondaryIndexes as Json[] | undefined) ?? []),
        ...((described.LocalSecondaryIndexes as Json[] | undefined) ?? []),
      ];
      const index = indexes.find((i) => i.IndexName === select.index);
      if (!index) throw validation(`No index ${select.index} on table ${select.table}`);
      keySchema = index.KeySchema as typeof keySchema;
    }
    const hash = keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName;
    const range = keySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const render = (condition: PartiqlCondition, i: number): string => {
      names[`#c${i}`] = condition.attribute;
      values[`:c${i}`] = condition.value;
      return condition.kind === 'eq' ? `#c${i} = :c${i}` : `begins_with(#c${i}, :c${i})`;
    };
    const hashCondition = select.conditions.find((c) => c.kind === 'eq' && c.attribute === hash);
    const rangeCondition = hashCondition
      ? select.conditions.find((c) => c !== hashCondition && c.attribute === range)
      : undefined;
    const key: string[] = [];
    const filter: string[] = [];
    select.conditions.forEach((condition, i) => {
      const text = render(condition, i);
      if (condition === hashCondition || condition === rangeCondition) key.push(text);
      else filter.push(text);
    });
    const payload: Json = { TableName: select.table };
    if (select.index) payload.IndexName = select.index;
    if (key.length > 0) payload.KeyConditionExpression = key.join(' AND ');
    if (filter.length > 0) payload.FilterExpression = filter.join(' AND ');
    if (select.columns) {
      payload.ProjectionExpression = select.columns
        .map((column, i) => {
          names[`#p${i}`] = column;
          return `#p${i}`;
        })
        .join(', ');
    }
    if (Object.keys(names).length > 0) payload.ExpressionAttributeNames = names;
    if (Object.keys(values).length > 0) payload.ExpressionAttributeValues = values;
    if (typeof request.Limit === 'number') payload.Limit = request.Limit;
    if (request.ConsistentRead === true && !select.index) payload.ConsistentRead = true;
    if (typeof request.NextToken === 'string') {
      payload.ExclusiveStartKey = JSON.parse(Buffer.from(request.NextToken, 'base64url').toString('utf8'));
    }
    const release = await this.lock([{ name: tableLockName(select.table), mode: 'multi-item' }]);
    let answer: Json;
    try {
      answer = await this.callOk(key.length > 0 ? 'Query' : 'Scan', payload);
    } finally {
      release();
    }
    const next = answer.LastEvaluatedKey
      ? { NextToken: Buffer.from(JSON.stringify(answer.LastEvaluatedKey)).toString('base64url') }
      : {};
    return { Items: answer.Items ?? [], ...next };
  }
}

interface PartiqlCondition {
  readonly kind: 'eq' | 'begins_with';
  readonly attribute: string;
  readonly value: unknown;
}

/**
 * The PartiQL subset the local DynamoDB understands: `SELECT * | a, "b" FROM "table"[."index"]
 * [WHERE x = 'v' | begins_with(x, 'v') | x = ? | x = 12, joined by AND]`. Anything else is a
 * ValidationException saying so, never a silently different answer.
 */
function parseSelect(
  statement: string,
  parameters: readonly unknown[],
): {
  table: string;
  index?: string;
  columns: string[] | null;
  conditions: PartiqlCondition[];
} {
  const unsupported = () => validation(`Statement not supported by the local DynamoDB: ${statement}`);
  const tokens = [
    ...statement.matchAll(
      /\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_-]*|[=(),.*?;])/gy,
    ),
  ];
  if (
    tokens
      .map((t) => t[0])
      .join('')
      .trim() !== statement.trim()
  )
    throw unsupported();
  const words = tokens.map((t) => t[1] ?? '');
  let at = 0;
  let parameter = 0;
  const peek = () => words[at] ?? '';
  const next = () => words[at++] ?? '';
  const expect = (word: string) => {
    if (next().toUpperCase() !== word) throw unsupported();
  };
  const identifier = () => {
    const word = next();
    if (word.startsWith('"')) return word.slice(1, -1).replace(/""/g, '"');
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(word)) throw unsupported();
    return word;
  };
  const value = (): unknown => {
    const word = next();
    if (word === '?') {
      const bound = parameters[parameter++];
      if (bound === undefined) throw validation('Number of parameters in request and statement do not match');
      return bound;
    }
    if (word.startsWith("'")) return { S: word.slice(1, -1).replace(/''/g, "'") };
    if (/^-?\d/.test(word)) return { N: word };
    throw unsupported();
  };
  expect('SELECT');
  let columns: string[] | null = null;
  if (peek() === '*') next();
  else {
    columns = [identifier()];
    while (peek() === ',') {
      next();
      columns.push(identifier());
    }
  }
  expect('FROM');
  const table = identifier();
  let index: string | undefined;
  if (peek() === '.') {
    next();
    index = identifier();
  }
  const conditions: PartiqlCondition[] = [];
  if (peek().toUpperCase() === 'WHERE') {
    next();
    do {
      if (peek().toLowerCase() === 'begins_with') {
        next();
        expect('(');
        const attribute = identifier();
        expect(',');
        conditions.push({ kind: 'begins_with', attribute, value: value() });
        expect(')');
      } else {
        const attribute = identifier();
        expect('=');
        conditions.push({ kind: 'eq', attribute, value: value() });
      }
    } while (peek().toUpperCase() === 'AND' && next());
  }
  if (peek() === ';') next();
  if (at !== words.length) throw unsupported();
  return { table, ...(index ? { index } : {}), columns, conditions };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const host = options.host ?? '127.0.0.1';
  const store: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  // Listening only so that its close(), which waits for and closes the LevelDB store, runs as designed: the
  // front calls its request handler directly.
  await listen(store, 0, '127.0.0.1');
  const handler = store.listeners('request')[0] as DynaliteHandler | undefined;
  if (!handler) throw new Error('dynalite has no request handler');
  const front = new TransactionFront(
    handler,
    options,
    options.path ? join(options.path, 'mediagate-ttl.json') : undefined,
  );
  await front.loadTtl();
  const server = createServer((req, res) => {
    front.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { __type: `${ERROR_PREFIX}InternalServerError`, message: String(error) });
      else res.destroy();
    });
  });
  let address: AddressInfo;
  try {
    address = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await closeServer(store);
    throw error;
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const endpoint = `http://${shownHost}:${address.port}`;
  return {
    endpoint,
    client: () =>
      new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    close: async () => {
      await closeServer(server);
      await closeServer(store);
    },
  };
}

/** Both tables are keyed `pk` (partition) + `sk` (sort), as in infra/constructs/pipeline-tables.ts. */
const PK_SK_KEY_SCHEMA: KeySchemaElement[] = [
  { AttributeName: 'pk', KeyType: 'HASH' },
  { AttributeName: 'sk', KeyType: 'RANGE' },
];

/**
 * Creates a runtime-state table locally as the CDK stack does (pk/sk, the sparse `byExpiry` index of open
 * reservations, on-demand): breakers, cache, budgets, the tenant registry, rate buckets. Fails if it exists, so each test or bench run starts from an empty table.
 */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'sweepPk', AttributeType: 'S' },
        { AttributeName: 'sweepSk', AttributeType: 'S' },
      ],
      KeySchema: PK_SK_KEY_SCHEMA,
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byExpiry',
          KeySchema: [
            { AttributeName: 'sweepPk', KeyType: 'HASH' },
            { AttributeName: 'sweepSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await waitForTableActive(client, tableName);
}

/**
 * Creates the ledger table locally exactly as the CDK stack does (pk/sk, GSI `byPeriod` on gsi1pk/gsi1sk,
 * projection ALL, on-demand); does nothing when it exists.
 */
export async function ensureLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ],
        KeySchema: PK_SK_KEY_SCHEMA,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byPeriod',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForTableActive(client, tableName);
}

/**
 * A new table is CREATING for a moment (in dynalite too, and longer on disk); writes before it is ACTIVE
 * fail with ResourceNotFoundException. The SDK waiter's 20-second minimum delay is far too slow locally.
 */
export async function waitForTableActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = described.Table?.GlobalSecondaryIndexes ?? [];
    if (described.Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is not ACTIVE after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
