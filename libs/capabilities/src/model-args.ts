import { CapabilityError, type JsonValue } from '@seed/runtime';

const MAX_PROMPT = 100_000;
const MAX_SYSTEM = 20_000;
const MAX_MESSAGES = 100;

export interface GenerateRequest {
  readonly prompt?: string;
  readonly messages?: ReadonlyArray<{ role: 'user' | 'assistant'; content: string }>;
  readonly system?: string;
  readonly maxTokens: number;
}

export interface GenerateResult {
  readonly text: string;
  readonly usage: {
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly totalTokens: number;
  };
}

const invalid = (message: string) =>
  new CapabilityError('invalid_capability_args', `model.generate: ${message}`);

/** ctx.model.generate({prompt | messages, system?, maxTokens?}) checked; maxTokens defaults to the per-call budget. */
export function parseGenerateArgs(args: readonly JsonValue[], maxTokensPerCall: number): GenerateRequest {
  const [options] = args;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw invalid('takes an object');
  const { prompt, messages, system, maxTokens = maxTokensPerCall } = options;
  if ((prompt === undefined) === (messages === undefined)) throw invalid('give either prompt or messages');
  if (prompt !== undefined && (typeof prompt !== 'string' || prompt.length > MAX_PROMPT)) {
    throw invalid(`prompt must be a string of at most ${MAX_PROMPT}`);
  }
  let checked: Array<{ role: 'user' | 'assistant'; content: string }> | undefined;
  if (messages !== undefined) {
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_MESSAGES) {
      throw invalid(`messages must be 1 to ${MAX_MESSAGES} messages`);
    }
    let total = 0;
    checked = messages.map((m) => {
      if (typeof m !== 'object' || m === null || Array.isArray(m))
        throw invalid('a message is {role, content}');
      if ((m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string') {
        throw invalid('a message is {role: "user" | "assistant", content: string}');
      }
      total += m.content.length;
      return { role: m.role, content: m.content };
    });
    if (total > MAX_PROMPT) throw invalid(`messages are over ${MAX_PROMPT} characters`);
  }
  if (system !== undefined && (typeof system !== 'string' || system.length > MAX_SYSTEM)) {
    throw invalid(`system must be a string of at most ${MAX_SYSTEM}`);
  }
  if (typeof maxTokens !== 'number' || !Number.isSafeInteger(maxTokens) || maxTokens < 1) {
    throw invalid('maxTokens must be a positive integer');
  }
  if (maxTokens > maxTokensPerCall) {
    throw new CapabilityError(
      'quota_exceeded',
      `model.generate: maxTokens ${maxTokens} is over the module's ${maxTokensPerCall} per call`,
    );
  }
  return {
    ...(typeof prompt === 'string' ? { prompt } : {}),
    ...(checked ? { messages: checked } : {}),
    ...(typeof system === 'string' ? { system } : {}),
    maxTokens,
  };
}

/** The prompt's text, for fixture matching and diagnostics. */
export function promptText(request: GenerateRequest): string {
  return request.prompt ?? (request.messages ?? []).map((m) => m.content).join('\n');
}
