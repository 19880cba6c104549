/**
 * Connects `mediagate costs` to a ledger table: the local stack's (started just for the query, under the
 * same lock as every other command) or, with `--aws --table NAME` (or LEDGER_TABLE), the deployed one with the usual
 * credentials.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo } from '../../infra/local/dynamodb.js';
import { acquireLock } from '../../infra/local/lock.js';
import { LOCAL_CREDENTIALS } from '../../infra/local/s3.js';
import { DEFAULT_STATE_DIR } from '../../infra/local/stack.js';
import { functionEnvironment, LOCAL_REGION } from '../../infra/local/template.js';
import { synthesizeMediagate } from '../../infra/synth.js';
import { runCostsCommand } from './costs.js';

export async function runCosts(args: readonly string[]): Promise<number> {
  const awsIndex = args.indexOf('--aws');
  if (awsIndex >= 0) {
    const rest = args.filter((_, index) => index !== awsIndex);
    const tableIndex = rest.indexOf('--table');
    const tableName = tableIndex >= 0 ? rest[tableIndex + 1] : process.env.LEDGER_TABLE;
    if (!tableName)
      throw new Error('--aws needs --table NAME (or LEDGER_TABLE): the ledger table of the deployed stack');
    const remaining =
      tableIndex >= 0 ? rest.filter((_, index) => index !== tableIndex && index !== tableIndex + 1) : rest;
    return runCostsCommand([...remaining], { client: new DynamoDBClient({}), tableName });
  }

  const stateDir = path.resolve(process.env.MEDIAGATE_STATE_DIR ?? DEFAULT_STATE_DIR);
  fs.mkdirSync(stateDir, { recursive: true });
  const release = acquireLock(path.join(stateDir, 'stack.lock'));
  try {
    const tableName = functionEnvironment(synthesizeMediagate().template).LEDGER_TABLE;
    if (!tableName) throw new Error('the template defines no LEDGER_TABLE');
    const dynamo = await startLocalDynamo({ path: path.join(stateDir, 'dynamodb') });
    try {
      const client = new DynamoDBClient({
        region: LOCAL_REGION,
        endpoint: dynamo.endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      return await runCostsCommand([...args], { client, tableName });
    } finally {
      await dynamo.close();
    }
  } finally {
    release();
  }
}
