/**
 * Model routes: a model on a logical endpoint. The handler maps each endpoint name onto a client
 * (`primary` = OPENAI_BASE_URL or OpenAI itself; `secondary` = a second base URL such as Azure OpenAI),
 * so a fallback to the same model elsewhere is just another route. Each route has its own circuit breaker.
 */
export type Modality = 'text' | 'image' | 'audio';

export interface RouteDefinition {
  name: string;
  model: string;
  /** Logical endpoint name, e.g. 'primary'. */
  endpoint: string;
  /** What a request on this route may carry; routes are filtered by the request's media. */
  modalities: readonly Modality[];
}

const ROUTES: readonly RouteDefinition[] = [
  { name: 'gpt-4o-primary', model: 'gpt-4o', endpoint: 'primary', modalities: ['text', 'image'] },
  { name: 'gpt-4o-secondary', model: 'gpt-4o', endpoint: 'secondary', modalities: ['text', 'image'] },
  // gpt-4o-mini takes images, but bills them at ~33× the tokens: the cost check normally skips it for images.
  { name: 'gpt-4o-mini-primary', model: 'gpt-4o-mini', endpoint: 'primary', modalities: ['text', 'image'] },
  // Chat Completions takes `input_audio` only on the audio models, which in turn take no images.
  {
    name: 'gpt-4o-audio-primary',
    model: 'gpt-4o-audio-preview',
    endpoint: 'primary',
    modalities: ['text', 'audio'],
  },
  {
    name: 'gpt-4o-transcribe-primary',
    model: 'gpt-4o-transcribe',
    endpoint: 'primary',
    modalities: ['audio'],
  },
  {
    name: 'gpt-4o-transcribe-secondary',
    model: 'gpt-4o-transcribe',
    endpoint: 'secondary',
    modalities: ['audio'],
  },
];

/** Transcription chain for tasks whose `audioMode` is 'transcribe': speech to text, then a text call. */
export const TRANSCRIPTION_ROUTES: readonly string[] = [
  'gpt-4o-transcribe-primary',
  'gpt-4o-transcribe-secondary',
];

export function findRoute(name: string): RouteDefinition | undefined {
  return ROUTES.find((route) => route.name === name);
}

export function allRoutes(): readonly RouteDefinition[] {
  return ROUTES;
}
