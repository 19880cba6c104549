import { TextractClient } from '@aws-sdk/client-textract';
import type { RuntimeConfig } from '../settings.js';

export function textractClient(config: RuntimeConfig): TextractClient {
  return new TextractClient({ region: config.region });
}
