/** Models the simulator knows, with what each accepts on which endpoint (as OpenAI's API does). */
export interface SimulatedModel {
  readonly id: string;
  readonly endpoint: 'chat' | 'transcription';
  readonly image: boolean;
  readonly audio: boolean;
}

const CHAT_VISION = [
  'gpt-4o',
  'gpt-4o-2024-08-06',
  'gpt-4o-2024-11-20',
  'gpt-4o-mini',
  'gpt-4o-mini-2024-07-18',
];
const CHAT_AUDIO = ['gpt-4o-audio-preview', 'gpt-4o-audio-preview-2024-12-17', 'gpt-4o-mini-audio-preview'];
const TRANSCRIPTION = ['gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'whisper-1'];

export const SIMULATED_MODELS: readonly SimulatedModel[] = [
  ...CHAT_VISION.map((id) => ({ id, endpoint: 'chat' as const, image: true, audio: false })),
  // The audio-preview models take audio but not images, like the real ones.
  ...CHAT_AUDIO.map((id) => ({ id, endpoint: 'chat' as const, image: false, audio: true })),
  ...TRANSCRIPTION.map((id) => ({ id, endpoint: 'transcription' as const, image: false, audio: true })),
];

export function findSimulatedModel(id: string): SimulatedModel | undefined {
  return SIMULATED_MODELS.find((model) => model.id === id);
}
