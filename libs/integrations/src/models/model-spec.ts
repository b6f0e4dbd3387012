import { IntegrationError } from './integration-error.js';

/** `<provider>` or `<provider>:<model>`, e.g. `claude-cli`, `claude-cli:sonnet`, `openai-compatible:llama3:8b`. */
export interface ModelSpec {
  provider: string;
  model?: string;
}

const PROVIDER = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
/** Model names reach CLI arguments: no whitespace, no leading dash (it would read as a flag). */
const MODEL = /^[A-Za-z0-9_.][A-Za-z0-9_.:/@+-]{0,199}$/;

/** Pure: splits on the first `:` only, so model names may contain colons. */
export function parseModelSpec(spec: string): ModelSpec {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const provider = (colon < 0 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  const model = colon < 0 ? undefined : trimmed.slice(colon + 1) || undefined;
  if (!PROVIDER.test(provider)) {
    throw new IntegrationError('unknown_provider', `"${spec}" does not name a model provider`);
  }
  if (model !== undefined && !MODEL.test(model)) {
    throw new IntegrationError('invalid_model', `"${model}" is not an acceptable model name`);
  }
  return model === undefined ? { provider } : { provider, model };
}

export function formatModelSpec(spec: ModelSpec): string {
  return spec.model ? `${spec.provider}:${spec.model}` : spec.provider;
}
