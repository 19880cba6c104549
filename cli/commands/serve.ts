/**
 * `mediagate serve [--port N]`: the synchronous API on the local stack. `POST /v1/analyze?tenant=T&task=K`
 * with the file as the body (and its Content-Type) runs the same Express definition as AWS and answers
 * with the `run --json` fields, `cached` and the model's answer; `GET /healthz` says it is up.
 */
import { parseLatency, parseTimeScale, startLocalStack } from '../../infra/local/stack.js';

export interface ServeOptions {
  readonly port?: string;
  readonly simFaults?: string;
  readonly simLatencyMs?: string;
  readonly timeScale?: string;
}

export async function runServe(
  options: ServeOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const port = options.port === undefined ? 8787 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be 0–65535; got ${options.port}`);
  const stack = await startLocalStack({
    simulatorFaults: options.simFaults,
    simulatorLatencyMs: parseLatency(options.simLatencyMs),
    timeScale: parseTimeScale(options.timeScale),
    analyzePort: port,
  });
  const base = stack.endpoints.analyze.replace(/\/$/, '');
  out.write(
    [
      `mediagate serve: ${base} (Ctrl-C to stop)`,
      `  curl --data-binary @photo.jpg -H 'content-type: image/jpeg' '${base}/v1/analyze?tenant=demo&task=describe'`,
      `  curl ${base}/healthz`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stack.stop();
  return 0;
}
