/**
 * The versioned catalogue of tasks: what we ask the model, how closely it looks, which routes may answer
 * and what shape the answer must have. A task's `version` is part of the result-cache key, so bump it with
 * any change to instructions, detail or schema: an old cached answer can then never be served.
 */
import type { ImageDetail } from '../ports.js';

export interface TaskDefinition {
  id: string;
  version: string;
  instructions: string;
  detail: ImageDetail;
  /** Route names in order of preference; the request's media filters them (see routes.ts). */
  routes: readonly string[];
  /** `input_audio` sends the audio to an audio-capable chat model; `transcribe` transcribes first, then sends text. */
  audioMode: 'input_audio' | 'transcribe';
  /** Structured Outputs: the answer must fit this schema or the item is rejected as INVALID_MODEL_OUTPUT. */
  responseSchema?: { name: string; schema: Record<string, unknown> };
  maxOutputTokens: number;
  /**
   * How long an answer usually is. Cost-aware routing compares routes at this length: comparing at the
   * bound would favour a model with cheap output and dear input (gpt-4o-mini on images) for answers that
   * are in fact short. Budget reservations still use `maxOutputTokens`. @default maxOutputTokens
   */
  typicalOutputTokens?: number;
  cacheTtlSeconds: number;
  /** Let a fallback route run even when its pre-flight estimate costs more than the first choice. @default false */
  allowCostlierFallback?: boolean;
}

const NO_PII =
  'Never repeat personal data you can see or hear (names, numbers, addresses, dates of birth); refer to it by kind instead.';

const TASKS: readonly TaskDefinition[] = [
  {
    id: 'describe',
    version: '1',
    instructions: `Describe the attached media in at most five sentences: what it shows or says, and its likely purpose. ${NO_PII}`,
    detail: 'high',
    routes: ['gpt-4o-primary', 'gpt-4o-secondary', 'gpt-4o-audio-primary', 'gpt-4o-mini-primary'],
    audioMode: 'input_audio',
    maxOutputTokens: 400,
    // Five sentences.
    typicalOutputTokens: 120,
    cacheTtlSeconds: 300,
  },
  {
    id: 'classify',
    version: '1',
    instructions: `Classify the attached media. ${NO_PII}`,
    detail: 'low',
    routes: ['gpt-4o-primary', 'gpt-4o-secondary', 'gpt-4o-mini-primary'],
    audioMode: 'transcribe',
    responseSchema: {
      name: 'classification',
      schema: {
        type: 'object',
        properties: {
          category: {
            type: 'string',
            enum: ['photo', 'document', 'screenshot', 'diagram', 'speech', 'other'],
          },
          confidence: { type: 'number', minimum: 0, maximum: 1 },
          containsText: { type: 'boolean' },
        },
        required: ['category', 'confidence', 'containsText'],
        additionalProperties: false,
      },
    },
    maxOutputTokens: 100,
    cacheTtlSeconds: 900,
  },
  {
    id: 'extract-fields',
    version: '1',
    instructions: `List the labelled fields of the form or document (label and kind of value, e.g. "date", "amount"). ${NO_PII}`,
    detail: 'high',
    routes: ['gpt-4o-primary', 'gpt-4o-secondary'],
    audioMode: 'transcribe',
    responseSchema: {
      name: 'form_fields',
      schema: {
        type: 'object',
        properties: {
          documentType: { type: 'string' },
          fields: {
            type: 'array',
            items: {
              type: 'object',
              properties: { label: { type: 'string' }, valueKind: { type: 'string' } },
              required: ['label', 'valueKind'],
              additionalProperties: false,
            },
          },
        },
        required: ['documentType', 'fields'],
        additionalProperties: false,
      },
    },
    maxOutputTokens: 800,
    cacheTtlSeconds: 300,
  },
  {
    id: 'summarize-voice-note',
    version: '1',
    instructions: `Summarise the voice note in two sentences and list any action items. ${NO_PII}`,
    detail: 'low',
    // After transcription this is a text-only call, where the cheaper model is the sensible first choice.
    routes: ['gpt-4o-mini-primary', 'gpt-4o-primary', 'gpt-4o-secondary'],
    audioMode: 'transcribe',
    maxOutputTokens: 300,
    cacheTtlSeconds: 300,
  },
];

export const DEFAULT_TASK_ID: string = 'describe';

export function findTask(id: string): TaskDefinition | undefined {
  return TASKS.find((task) => task.id === id);
}

export function allTasks(): readonly TaskDefinition[] {
  return TASKS;
}
