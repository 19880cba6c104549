/**
 * `npm run bench`: every benchmark in one run, each printing its own side-by-side ratios or percentiles.
 * Numbers live here and in docs, never in tests.
 *
 *   npm run bench [-- --only media,model-step,e2e,realtime,lambda-bundles,scan,throughput] [--runs 7] [--items 40] [--files 100]
 *
 * - media: our sanitise + normalise against bare sharp, vipsthumbnail, ImageMagick and bare ffmpeg;
 * - model-step: `invokeModel` with the real SDK against the simulator at 300 ms ± 50 ms, cache 0 % / 70 %;
 * - e2e: upload → outcome event on the whole local stack, cache 0 % / 70 %;
 * - realtime: POST /v1/analyze (mediagate serve), model 300 ms, 60 requests 4 at a time, 0 % / 70 % repeats;
 * - lambda-bundles: each function's bundle size and cold init (fresh process importing the bundle);
 * - scan: `mediagate scan` start-up for one `--text` and `--jsonl` throughput on short texts;
 * - throughput: files per minute of `mediagate run`'s batch loop on 100 mixed files, cache off.
 */
import { argValue } from './e2e-stats.js';

const SUITES = ['media', 'model-step', 'e2e', 'realtime', 'lambda-bundles', 'scan', 'throughput'] as const;
type Suite = (typeof SUITES)[number];

const args = process.argv.slice(2);
const only = (argValue(args, '--only') ?? SUITES.join(',')).split(',');
const unknown = only.filter((name) => !SUITES.includes(name as Suite));
if (unknown.length > 0) throw new Error(`--only takes ${SUITES.join(', ')}; got ${unknown.join(', ')}`);
const chosen = new Set(only as Suite[]);
const latencyMs = { min: 250, max: 350 };
const hitRates = [0, 0.7];

// Each suite is imported only when chosen: the media bench needs no local stack and the others no ImageMagick.
if (chosen.has('media')) {
  const { formatMediaBench, runMediaBench } = await import('./media.js');
  console.log('== media: sanitise + normalise vs bare tools (medians of interleaved runs)');
  console.log(formatMediaBench(await runMediaBench({ runs: Number(argValue(args, '--runs') ?? 7) })));
}
if (chosen.has('model-step')) {
  const { renderModelStepBench, runModelStepBench } = await import('./e2e-model-step.js');
  console.log('\n== model step: invokeModel + SDK + simulator 250-350 ms + DynamoDB cache/breaker');
  const results = await runModelStepBench({ items: 100, concurrency: 8, hitRates, latencyMs });
  console.log(renderModelStepBench(results));
}
if (chosen.has('e2e')) {
  const { renderE2eBench, runE2eBench } = await import('./e2e.js');
  console.log('\n== end to end on the local stack: presigned POST → outcome event, simulator 250-350 ms');
  const items = Number(argValue(args, '--items') ?? 40);
  console.log(
    renderE2eBench(await runE2eBench({ items, concurrency: 4, hitRates, latencyMs, ocr: 'tesseract' })),
  );
}
if (chosen.has('realtime')) {
  const { renderRealtimeBench, runRealtimeBench } = await import('./realtime.js');
  console.log(
    '\n== real time: POST /v1/analyze on the local stack (mediagate serve), simulator 300 ms, 4 at a time',
  );
  console.log(
    renderRealtimeBench(await runRealtimeBench({ items: 60, concurrency: 4, repeatRates: hitRates })),
  );
}
if (chosen.has('lambda-bundles')) {
  const { formatLambdaBundleBench, runLambdaBundleBench } = await import('./lambda-bundles.js');
  console.log('\n== Lambda bundles: size without source map, cold init (median of fresh processes)');
  console.log(
    formatLambdaBundleBench(await runLambdaBundleBench({ runs: Number(argValue(args, '--runs') ?? 7) })),
  );
}
if (chosen.has('scan')) {
  const { renderScanCliBench } = await import('./scan-cli.js');
  console.log('\n== mediagate scan: start-up and --jsonl throughput (one process)');
  console.log(await renderScanCliBench());
}
if (chosen.has('throughput')) {
  const { renderThroughputBench, runThroughputBench } = await import('./throughput.js');
  console.log(
    '\n== throughput on the local stack: mediagate run, mixed files, cache off, simulator 250-350 ms',
  );
  const files = Number(argValue(args, '--files') ?? 100);
  console.log(renderThroughputBench(await runThroughputBench({ files, concurrency: 4, latencyMs })));
}
