/**
 * Deployment settings the stack itself consumes (alarm recipients, alarm thresholds, raw-upload retention,
 * reserved concurrency). They come in the same `-c settings='{…}'` object as the functions' settings but
 * are not passed to the functions: no function reads them, and an e-mail address has no business in a
 * Lambda environment. A malformed value fails `cdk synth` with the setting's name.
 */

/** The Lambda functions and their reserved concurrency when no setting overrides it. */
export const DEFAULT_RESERVED_CONCURRENCY: Readonly<Record<string, number>> = {
  'validate-and-strip': 20,
  preprocess: 20,
  'dlp-check': 20,
  // Bounded by the OpenAI quota more than by Lambda: more in flight only meets more 429s.
  'invoke-model': 25,
  'record-cost': 10,
  // Matches the SQS event source's maximum concurrency, so the poller never throttles itself.
  'start-execution': 5,
  'presign-upload': 10,
  analyze: 20,
  // One run every 5 minutes; a second at once would only sweep the same reservations.
  'sweep-reservations': 1,
  // The audit chainer appends each tenant's queued decisions in order: one writer.
  'chain-audit': 1,
  // Once a day; two signers at once would only sign the same heads twice.
  'sign-audit-heads': 1,
};

export interface AlarmThresholds {
  /** p99 of InvokeModel's duration over 5 minutes. */
  readonly invokeModelP99Ms: number;
  /** p99 of a `POST /v1/analyze` execution (Express workflow). */
  readonly realtimeP99Ms: number;
  /** p99 of an upload's execution (Standard workflow; parked items make it long during outages). */
  readonly pipelineP99Ms: number;
}

export interface StackSettings {
  /** Subscribed to the alarm topic (SNS sends a confirmation mail first). */
  readonly alarmEmail?: string;
  /** HTTPS endpoint subscribed to the alarm topic (SNS posts a SubscriptionConfirmation first). */
  readonly alarmWebhookUrl?: string;
  /** No version of a raw upload (incoming/, realtime/) outlives this many days. */
  readonly rawRetentionDays: number;
  readonly alarmThresholds: AlarmThresholds;
  /** Reserved concurrency of the function running `step`; undefined reserves none. */
  reservedConcurrency(step: string): number | undefined;
}

const NUMBER_SETTINGS = {
  MEDIAGATE_RAW_RETENTION_DAYS: { default: 7, min: 2 },
  MEDIAGATE_INVOKE_MODEL_P99_ALARM_MS: { default: 60_000, min: 1 },
  MEDIAGATE_REALTIME_P99_ALARM_MS: { default: 30_000, min: 1 },
  MEDIAGATE_PIPELINE_P99_ALARM_MS: { default: 15 * 60_000, min: 1 },
} as const;

const STRING_SETTINGS = ['MEDIAGATE_ALARM_EMAIL', 'MEDIAGATE_ALARM_WEBHOOK_URL'] as const;

/** `MEDIAGATE_INVOKE_MODEL_CONCURRENCY` for `invoke-model`, and so on for every function. */
export function concurrencySettingName(step: string): string {
  return `MEDIAGATE_${step.toUpperCase().replaceAll('-', '_')}_CONCURRENCY`;
}

/** True for the settings this module consumes, which are kept out of the functions' environment. */
export function isStackSetting(name: string): boolean {
  return (
    name in NUMBER_SETTINGS ||
    (STRING_SETTINGS as readonly string[]).includes(name) ||
    Object.keys(DEFAULT_RESERVED_CONCURRENCY).some((step) => concurrencySettingName(step) === name)
  );
}

function wholeNumber(
  settings: Readonly<Record<string, string>>,
  name: string,
  fallback: number,
  min: number,
) {
  const value = settings[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed < min) {
    throw new Error(`${name} must be a whole number ≥ ${min}; got "${value}"`);
  }
  return parsed;
}

export function parseStackSettings(settings: Readonly<Record<string, string>>): StackSettings {
  const number = (name: keyof typeof NUMBER_SETTINGS) =>
    wholeNumber(settings, name, NUMBER_SETTINGS[name].default, NUMBER_SETTINGS[name].min);
  const alarmEmail = settings.MEDIAGATE_ALARM_EMAIL;
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new Error(`MEDIAGATE_ALARM_EMAIL must be an e-mail address; got "${alarmEmail}"`);
  }
  const alarmWebhookUrl = settings.MEDIAGATE_ALARM_WEBHOOK_URL;
  if (alarmWebhookUrl !== undefined && !isHttpsUrl(alarmWebhookUrl)) {
    // Alarm texts name resources and tenants' budget tiers: they travel over TLS or not at all.
    throw new Error(`MEDIAGATE_ALARM_WEBHOOK_URL must be an https:// URL; got "${alarmWebhookUrl}"`);
  }
  const concurrency = new Map(
    Object.entries(DEFAULT_RESERVED_CONCURRENCY).map(([step, fallback]) => [
      step,
      wholeNumber(settings, concurrencySettingName(step), fallback, 0),
    ]),
  );
  return {
    alarmEmail,
    alarmWebhookUrl,
    rawRetentionDays: number('MEDIAGATE_RAW_RETENTION_DAYS'),
    alarmThresholds: {
      invokeModelP99Ms: number('MEDIAGATE_INVOKE_MODEL_P99_ALARM_MS'),
      realtimeP99Ms: number('MEDIAGATE_REALTIME_P99_ALARM_MS'),
      pipelineP99Ms: number('MEDIAGATE_PIPELINE_P99_ALARM_MS'),
    },
    reservedConcurrency(step) {
      const reserved = concurrency.get(step);
      if (reserved === undefined) throw new Error(`no reserved-concurrency default for step "${step}"`);
      // 0: the function draws from the account's unreserved pool, uncapped.
      return reserved === 0 ? undefined : reserved;
    },
  };
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
