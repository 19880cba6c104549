/**
 * Models the simulator serves, with what each accepts on which endpoint and the dated snapshot the
 * API answers with (OpenAI's `model` field names the snapshot that ran: `gpt-4o` → `gpt-4o-2024-08-06`).
 */
export interface SimulatedModel {
  readonly id: string;
  /** What the response's `model` says and what the bill is kept under. */
  readonly snapshot: string;
  readonly endpoint: 'chat' | 'transcription';
  readonly image: boolean;
  readonly audio: boolean;
}

/** Alias → snapshot, as OpenAI pointed them when these prices were published; a snapshot is its own. */
const CHAT_VISION: Readonly<Record<string, string>> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-2024-08-06': 'gpt-4o-2024-08-06',
  'gpt-4o-2024-11-20': 'gpt-4o-2024-11-20',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o-mini-2024-07-18': 'gpt-4o-mini-2024-07-18',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-mini-2025-04-14': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
  'gpt-4.1-nano-2025-04-14': 'gpt-4.1-nano-2025-04-14',
};
const CHAT_AUDIO: Readonly<Record<string, string>> = {
  'gpt-4o-audio-preview': 'gpt-4o-audio-preview-2024-12-17',
  'gpt-4o-audio-preview-2024-12-17': 'gpt-4o-audio-preview-2024-12-17',
  'gpt-4o-mini-audio-preview': 'gpt-4o-mini-audio-preview-2024-12-17',
  'gpt-4o-mini-audio-preview-2024-12-17': 'gpt-4o-mini-audio-preview-2024-12-17',
};
// The transcription endpoint names no model in its answer; the bill keeps the id as asked.
const TRANSCRIPTION = ['gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'whisper-1'];

export const SIMULATED_MODELS: readonly SimulatedModel[] = [
  ...Object.entries(CHAT_VISION).map(([id, snapshot]) => ({
    id,
    snapshot,
    endpoint: 'chat' as const,
    image: true,
    audio: false,
  })),
  // The audio-preview models take audio but not images, like the real ones.
  ...Object.entries(CHAT_AUDIO).map(([id, snapshot]) => ({
    id,
    snapshot,
    endpoint: 'chat' as const,
    image: false,
    audio: true,
  })),
  ...TRANSCRIPTION.map((id) => ({
    id,
    snapshot: id,
    endpoint: 'transcription' as const,
    image: false,
    audio: true,
  })),
];

export function findSimulatedModel(id: string): SimulatedModel | undefined {
  return SIMULATED_MODELS.find((model) => model.id === id);
}
