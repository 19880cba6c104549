import { SFNClient } from '@aws-sdk/client-sfn';
import type { RuntimeConfig } from '../settings.js';

export function sfnClient(config: RuntimeConfig): SFNClient {
  return new SFNClient({
    region: config.region,
    endpoint: config.endpoints.sfn,
    // StartSyncExecution goes to `sync-states.<region>`; a loopback endpoint has no such host.
    disableHostPrefix: config.endpoints.sfn !== undefined,
  });
}
