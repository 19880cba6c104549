import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  GetItemCommand,
  IdempotentParameterMismatchException,
  PutItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamodb.js';

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'x' } });

async function counter(client: DynamoDBClient, table: string, pk: string): Promise<number | undefined> {
  const got = await client.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead: true }));
  const n = got.Item?.n?.N;
  return n === undefined ? undefined : Number(n);
}

function addOne(table: string, pk: string) {
  return {
    Update: {
      TableName: table,
      Key: key(pk),
      UpdateExpression: 'ADD #n :one',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':one': { N: '1' } },
    },
  };
}

/**
 * Holds a transaction open (through the front's test hook) while it touches an item whose pk was held:
 * `entered` settles once such a transaction has applied its actions, and `release()` lets it finish.
 */
class Holds {
  private readonly held = new Map<string, { entered: () => void; gate: Promise<void> }>();

  hold(pk: string): { entered: Promise<void>; release: () => void } {
    let entered = () => {};
    let release = () => {};
    const enteredPromise = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.held.set(pk, { entered, gate });
    return { entered: enteredPromise, release };
  }

  readonly hook = async (items: readonly { key: Record<string, unknown> }[]): Promise<void> => {
    for (const { key: itemKey } of items) {
      const pk = (itemKey.pk as { S?: string } | undefined)?.S ?? '';
      const held = this.held.get(pk);
      if (!held) continue;
      this.held.delete(pk);
      held.entered();
      await held.gate;
    }
  };
}

/** Settles when `promise` does, and says meanwhile whether it has. */
function track<T>(promise: Promise<T>): { done: () => boolean; promise: Promise<T> } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return { done: () => settled, promise: tracked };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local DynamoDB transaction front', () => {
  let local: LocalDynamo;
  let client: DynamoDBClient;
  const table = 'shim';
  const holds = new Holds();

  beforeAll(async () => {
    local = await startLocalDynamo({ holdTransaction: holds.hook });
    client = clientFor(local.endpoint);
    await createStateTable(client, table);
  });

  afterAll(async () => {
    client?.destroy();
    await local?.close();
  });

  it('binds loopback on a dynamic port and forwards single-item calls to dynalite', async () => {
    // Prepare
    const item = { ...key('plain'), v: { S: 'hello' } };

    // Act
    await client.send(new PutItemCommand({ TableName: table, Item: item }));
    const got = await client.send(new GetItemCommand({ TableName: table, Key: key('plain') }));

    // Assess
    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(got.Item).toEqual(item);
  });

  it('commits every action of a transaction', async () => {
    // Prepare
    await client.send(new PutItemCommand({ TableName: table, Item: { ...key('c1'), n: { N: '5' } } }));

    // Act
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { ...key('c1-new'), v: { S: 'a' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          addOne(table, 'c1'),
          { Delete: { TableName: table, Key: key('plain') } },
        ],
      }),
    );

    // Assess
    expect(await counter(client, table, 'c1')).toBe(6);
    const created = await client.send(new GetItemCommand({ TableName: table, Key: key('c1-new') }));
    expect(created.Item?.v).toEqual({ S: 'a' });
    const deleted = await client.send(new GetItemCommand({ TableName: table, Key: key('plain') }));
    expect(deleted.Item).toBeUndefined();
  });

  it('cancels with DynamoDB-shaped reasons and rolls back the actions already applied', async () => {
    // Prepare
    await client.send(new PutItemCommand({ TableName: table, Item: { ...key('r1'), n: { N: '1' } } }));
    await client.send(new PutItemCommand({ TableName: table, Item: { ...key('taken'), v: { S: 'old' } } }));

    // Act
    const error = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            addOne(table, 'r1'),
            { Put: { TableName: table, Item: { ...key('fresh'), v: { S: 'new' } } } },
            {
              Put: {
                TableName: table,
                Item: { ...key('taken'), v: { S: 'new' } },
                ConditionExpression: 'attribute_not_exists(pk)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons;
    expect(reasons?.map((r) => r.Code)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect(reasons?.[2]?.Item).toEqual({ ...key('taken'), v: { S: 'old' } });
    expect((error as Error).message).toContain('ConditionalCheckFailed');
    expect(await counter(client, table, 'r1')).toBe(1);
    const fresh = await client.send(new GetItemCommand({ TableName: table, Key: key('fresh') }));
    expect(fresh.Item).toBeUndefined();
    const taken = await client.send(new GetItemCommand({ TableName: table, Key: key('taken') }));
    expect(taken.Item?.v).toEqual({ S: 'old' });
  });

  it('evaluates ConditionCheck without creating or changing the item', async () => {
    // Prepare
    const check = (pk: string, condition: string) => ({
      ConditionCheck: { TableName: table, Key: key(pk), ConditionExpression: condition },
    });

    // Act
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [check('absent', 'attribute_not_exists(pk)'), addOne(table, 'cc-counter')],
      }),
    );
    const failed = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [addOne(table, 'cc-counter'), check('absent', 'attribute_exists(pk)')],
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    const absent = await client.send(new GetItemCommand({ TableName: table, Key: key('absent') }));
    expect(absent.Item).toBeUndefined();
    expect(failed).toBeInstanceOf(TransactionCanceledException);
    expect((failed as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(await counter(client, table, 'cc-counter')).toBe(1);
  });

  it('rejects two actions on one item, as DynamoDB does', async () => {
    // Act
    const error = await client
      .send(new TransactWriteItemsCommand({ TransactItems: [addOne(table, 'dup'), addOne(table, 'dup')] }))
      .catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('ValidationException');
    expect(await counter(client, table, 'dup')).toBeUndefined();
  });

  it('answers a repeated ClientRequestToken without applying the transaction twice', async () => {
    // Prepare
    const request = { ClientRequestToken: 'token-1', TransactItems: [addOne(table, 'idem')] };

    // Act
    await client.send(new TransactWriteItemsCommand(request));
    await client.send(new TransactWriteItemsCommand(request));
    const mismatch = await client
      .send(
        new TransactWriteItemsCommand({
          ClientRequestToken: 'token-1',
          TransactItems: [addOne(table, 'other')],
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(await counter(client, table, 'idem')).toBe(1);
    expect(mismatch).toBeInstanceOf(IdempotentParameterMismatchException);
  });

  it('keeps concurrent transactions isolated, so a rollback never erases another commit', async () => {
    // Prepare: every transaction adds 1; every other one then fails and must roll its add back.
    const attempts = Array.from({ length: 40 }, (_, i) =>
      client
        .send(
          new TransactWriteItemsCommand({
            TransactItems: [
              addOne(table, 'shared'),
              {
                ConditionCheck: {
                  TableName: table,
                  Key: key(`gate-${i}`),
                  ConditionExpression: i % 2 === 0 ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
                },
              },
            ],
          }),
        )
        .then(
          () => 'committed',
          () => 'cancelled',
        ),
    );

    // Act
    const outcomes = await Promise.all(attempts);

    // Assess
    expect(outcomes.filter((o) => o === 'committed')).toHaveLength(20);
    expect(await counter(client, table, 'shared')).toBe(20);
  });

  it('lets a transaction on one item commit while a slow one holds another', async () => {
    // Prepare
    const slow = holds.hold('slow-a');
    const first = track(
      client.send(new TransactWriteItemsCommand({ TransactItems: [addOne(table, 'slow-a')] })),
    );
    await slow.entered;

    // Act: while the first holds item A, a transaction on B, a read of B and a second writer of A.
    await client.send(new TransactWriteItemsCommand({ TransactItems: [addOne(table, 'free-b')] }));
    const bRead = await counter(client, table, 'free-b');
    const second = track(
      client.send(new TransactWriteItemsCommand({ TransactItems: [addOne(table, 'slow-a')] })),
    );
    await pause(100);
    const waitedForA = !first.done() && !second.done();
    slow.release();
    await Promise.all([first.promise, second.promise]);

    // Assess
    expect(bRead).toBe(1);
    expect(waitedForA).toBe(true);
    expect(await counter(client, table, 'slow-a')).toBe(2);
  });

  it('never shows a single-item read the write of a transaction that is then rolled back', async () => {
    // Prepare: the transaction adds 1 to the item, then fails its ConditionCheck, and is held in between.
    await client.send(new PutItemCommand({ TableName: table, Item: { ...key('dirty'), n: { N: '10' } } }));
    const held = holds.hold('dirty');
    const doomed = client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            addOne(table, 'dirty'),
            {
              ConditionCheck: {
                TableName: table,
                Key: key('dirty-gate'),
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    await held.entered;

    // Act: the item holds 11 in dynalite right now; a read must wait for the rollback.
    const read = track(counter(client, table, 'dirty'));
    const write = track(
      client.send(new PutItemCommand({ TableName: table, Item: { ...key('dirty'), n: { N: '50' } } })),
    );
    await pause(100);
    const waited = !read.done() && !write.done();
    held.release();

    // Assess
    expect(await doomed).toBeInstanceOf(TransactionCanceledException);
    expect(waited).toBe(true);
    expect(await read.promise).toBe(10);
    await write.promise;
    expect(await counter(client, table, 'dirty')).toBe(50);
  });

  it('makes a Query wait for a transaction writing its table, then see all of it', async () => {
    // Prepare
    const partition = (sk: string) => ({ pk: { S: 'q-part' }, sk: { S: sk } });
    const held = holds.hold('q-part');
    const writing = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...partition('1'), v: { S: 'a' } } } },
          { Put: { TableName: table, Item: { ...partition('2'), v: { S: 'b' } } } },
        ],
      }),
    );
    await held.entered;

    // Act
    const query = track(
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'q-part' } },
          ConsistentRead: true,
        }),
      ),
    );
    await pause(100);
    const waited = !query.done();
    held.release();
    await writing;

    // Assess
    expect(waited).toBe(true);
    expect((await query.promise).Items?.map((item) => item.sk?.S)).toEqual(['1', '2']);
  });

  it('reads several items in one consistent TransactGetItems', async () => {
    // Prepare
    await client.send(new PutItemCommand({ TableName: table, Item: { ...key('g1'), n: { N: '7' } } }));

    // Act
    const got = await client.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: table, Key: key('g1') } },
          { Get: { TableName: table, Key: key('g-none') } },
        ],
      }),
    );

    // Assess
    expect(got.Responses?.[0]?.Item?.n).toEqual({ N: '7' });
    expect(got.Responses?.[1]?.Item).toBeUndefined();
  });

  it('answers a PartiQL SELECT on the key as the equivalent query, and refuses what it does not understand', async () => {
    // Prepare
    await client.send(
      new PutItemCommand({ TableName: table, Item: { ...key('pq'), n: { N: '4' }, w: { S: "it's" } } }),
    );

    // Act
    const selected = await client.send(
      new ExecuteStatementCommand({
        Statement: `SELECT n, w FROM "${table}" WHERE pk = ? AND sk = 'x'`,
        Parameters: [{ S: 'pq' }],
      }),
    );
    const quoted = await client.send(
      new ExecuteStatementCommand({ Statement: `SELECT * FROM "${table}" WHERE w = 'it''s'` }),
    );
    const refused = await client
      .send(
        new ExecuteStatementCommand({
          Statement: `UPDATE "${table}" SET n = 5 WHERE pk = 'pq' AND sk = 'x'`,
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(selected.Items).toEqual([{ n: { N: '4' }, w: { S: "it's" } }]);
    expect(quoted.Items?.map((i) => i.pk?.S)).toEqual(['pq']);
    expect((refused as Error).name).toBe('ValidationException');
    expect(await counter(client, table, 'pq')).toBe(4);
  });

  it('records UpdateTimeToLive and describes it like DynamoDB', async () => {
    // Prepare
    const before = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));

    // Act
    const updated = await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    const after = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));

    // Assess
    expect(before.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    expect(updated.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(after.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});

describe('local DynamoDB without locks', () => {
  it('loses updates when rollbacks interleave with other transactions (why the locks exist)', async () => {
    // Prepare
    const local = await startLocalDynamo({ unsafeNoLocks: true });
    const client = clientFor(local.endpoint);
    try {
      await createStateTable(client, 'unsafe');
      let observedLoss = false;
      // Act: the race needs a rollback to land between another transaction's read and write.
      for (let round = 0; round < 5 && !observedLoss; round += 1) {
        const outcomes = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            client
              .send(
                new TransactWriteItemsCommand({
                  TransactItems: [
                    addOne('unsafe', `shared-${round}`),
                    {
                      ConditionCheck: {
                        TableName: 'unsafe',
                        Key: key(`gate-${i}`),
                        ConditionExpression:
                          i % 2 === 0 ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
                      },
                    },
                  ],
                }),
              )
              .then(
                () => 1,
                () => 0,
              ),
          ),
        );
        const committed = outcomes.reduce<number>((a, b) => a + b, 0);
        observedLoss = (await counter(client, 'unsafe', `shared-${round}`)) !== committed;
      }

      // Assess
      expect(observedLoss).toBe(true);
    } finally {
      client.destroy();
      await local.close();
    }
  });
});

describe('local DynamoDB on disk', () => {
  it('keeps items and the TTL setting across a restart', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'mediagate-dynamo-'));
    try {
      const first = await startLocalDynamo({ path: dir });
      const a = clientFor(first.endpoint);
      await createStateTable(a, 'persisted');
      await a.send(new PutItemCommand({ TableName: 'persisted', Item: { ...key('kept'), n: { N: '3' } } }));
      await a.send(
        new UpdateTimeToLiveCommand({
          TableName: 'persisted',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      );
      a.destroy();
      await first.close();

      // Act
      const second = await startLocalDynamo({ path: dir });
      const b = clientFor(second.endpoint);
      const kept = await counter(b, 'persisted', 'kept');
      const ttl = await b.send(new DescribeTimeToLiveCommand({ TableName: 'persisted' }));
      b.destroy();
      await second.close();

      // Assess
      expect(kept).toBe(3);
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
