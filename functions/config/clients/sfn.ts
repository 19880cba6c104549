import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function sfnClient(config: RuntimeConfig): SFNClient {
  return tracer.captureAWSv3Client(
    new SFNClient({
      region: config.region,
      endpoint: config.endpoints.sfn,
      // StartSyncExecution goes to `sync-states.<region>`; a loopback endpoint has no such host.
      disableHostPrefix: config.endpoints.sfn !== undefined,
    }),
  );
}
