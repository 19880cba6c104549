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

describe('local DynamoDB transaction front', () => {
  let local: LocalDynamo;
  let client: DynamoDBClient;
  const table = 'shim';

  beforeAll(async () => {
    local = await startLocalDynamo();
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

describe('local DynamoDB without the transaction lock', () => {
  it('loses updates when rollbacks interleave with other transactions (why the lock exists)', async () => {
    // Prepare
    const local = await startLocalDynamo({ unsafeNoTransactionLock: true });
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
