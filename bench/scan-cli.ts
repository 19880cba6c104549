/**
 * `mediagate scan` as a user runs it: start-up (a process that scans one `--text` and exits, median of
 * several runs) and `--jsonl` throughput (short texts a second after the first report is out, so
 * start-up is not counted twice). Printed, never asserted: the numbers depend on the machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../bin/mediagate.js');

const SHORT_TEXTS = [
  'Please describe the damage in the photo.',
  'Customer Jordan Whitfield, SSN 536-22-4418, called about the claim.',
  'Card 4111 1111 1111 1111 exp 09/29, reply to jo@example.com',
  'Wire to DE89 3704 0044 0532 0130 00 EUR, routing 021000021.',
  'Call +33 1 23 45 67 89 or (415) 555-2671 after 5 pm.',
  'Version 10.0.19045.2965 installed on host 192.0.2.1.',
  'DL# D1234567, passport A12345678, DOB 04/12/1986.',
  'Order number 7734591284003321 shipped on 2024-03-15.',
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function measureStartup(runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, [BIN, 'scan', '--text', SHORT_TEXTS[1] ?? ''], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`scan exited ${result.status}: ${result.stderr}`);
    times.push(performance.now() - started);
  }
  return times;
}

export async function measureJsonl(
  count: number,
): Promise<{ texts: number; seconds: number; perSecond: number }> {
  const child = spawn(process.execPath, [BIN, 'scan', '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let lines = 0;
  let firstAt = 0;
  let buffered = '';
  const done = new Promise<number>((resolveDone, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const _ of parts) {
        lines++;
        if (lines === 1) firstAt = performance.now();
      }
    });
    child.on('error', reject);
    child.on('close', () => resolveDone(performance.now()));
  });
  for (let i = 0; i < count; i++)
    child.stdin.write(`${JSON.stringify({ id: String(i), text: SHORT_TEXTS[i % SHORT_TEXTS.length] })}\n`);
  child.stdin.end();
  const endedAt = await done;
  if (lines !== count) throw new Error(`expected ${count} reports, got ${lines}`);
  const seconds = (endedAt - firstAt) / 1000;
  return { texts: count - 1, seconds, perSecond: (count - 1) / seconds };
}

export async function renderScanCliBench(runs = 5, texts = 2000): Promise<string> {
  const startup = measureStartup(runs);
  const jsonl = await measureJsonl(texts);
  return [
    `start-up (scan --text, whole process): median ${(median(startup) / 1000).toFixed(2)} s, min ${(Math.min(...startup) / 1000).toFixed(2)} s over ${runs} runs`,
    `--jsonl throughput: ${jsonl.texts} short texts in ${jsonl.seconds.toFixed(2)} s after the first report = ${jsonl.perSecond.toFixed(0)} texts/s`,
  ].join('\n');
}
