import type { LanguageModelV4CallOptions, LanguageModelV4Message, SharedV4Warning } from '@ai-sdk/provider';

/** What a CLI gets: the system prompt (if any) and one text for stdin. */
export interface CliPrompt {
  system?: string;
  text: string;
  /** A JSON answer was asked for (responseFormat json): the instruction is in `text`. */
  json: boolean;
  warnings: SharedV4Warning[];
}

/** Call settings a CLI model may or may not honour. */
type Setting =
  | 'maxOutputTokens'
  | 'temperature'
  | 'topP'
  | 'topK'
  | 'presencePenalty'
  | 'frequencyPenalty'
  | 'seed'
  | 'stopSequences';

const SETTINGS: readonly Setting[] = [
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'stopSequences',
];

/**
 * Pure: the AI SDK prompt as text for a CLI that takes one prompt. A single user message goes as it is;
 * a conversation is written out with one tag per turn. A JSON response format adds an instruction with
 * the schema at the end (the CLIs have no JSON mode we can rely on), and settings the CLI cannot honour
 * become warnings, as the AI SDK expects.
 */
export function renderCliPrompt(
  options: LanguageModelV4CallOptions,
  supported: readonly Setting[],
): CliPrompt {
  const warnings: SharedV4Warning[] = [];
  for (const setting of SETTINGS) {
    const value = options[setting];
    if (
      value !== undefined &&
      !(Array.isArray(value) && value.length === 0) &&
      !supported.includes(setting)
    ) {
      warnings.push({ type: 'unsupported', feature: setting });
    }
  }
  if (options.tools?.length) {
    warnings.push({ type: 'unsupported', feature: 'tools', details: 'CLI models answer with text only' });
  }
  if (options.reasoning && options.reasoning !== 'provider-default') {
    warnings.push({ type: 'unsupported', feature: 'reasoning' });
  }

  const system = options.prompt
    .filter((m) => m.role === 'system')
    .map((m) => m.content.trim())
    .filter(Boolean)
    .join('\n\n');
  const turns = options.prompt.filter((m) => m.role !== 'system');
  let text: string;
  if (turns.length === 1 && turns[0].role === 'user') {
    text = messageText(turns[0], warnings);
  } else {
    text = [
      '<conversation>',
      ...turns.map((m) => `<${m.role}>\n${messageText(m, warnings)}\n</${m.role}>`),
      '</conversation>',
      '',
      "Write the assistant's next reply to the last user message. Answer with the reply's text only.",
    ].join('\n');
  }

  const format = options.responseFormat;
  const json = format?.type === 'json';
  if (format?.type === 'json') {
    const about = [format.name, format.description].filter(Boolean).join(': ');
    text += [
      '',
      '',
      'Answer with JSON only: one JSON value, with no text before or after it and no Markdown code fences.',
      ...(about ? [`It is: ${about}`] : []),
      ...(format.schema ? ['It must match this JSON schema:', JSON.stringify(format.schema)] : []),
    ].join('\n');
  }
  return { ...(system ? { system } : {}), text, json, warnings };
}

function messageText(message: LanguageModelV4Message, warnings: SharedV4Warning[]): string {
  if (message.role === 'system') return message.content;
  const pieces: string[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case 'text':
        pieces.push(part.text);
        break;
      case 'file':
        if (part.data.type === 'text') {
          pieces.push(`<file${part.filename ? ` name="${part.filename}"` : ''}>\n${part.data.text}\n</file>`);
        } else {
          warnings.push({ type: 'unsupported', feature: `file parts (${part.mediaType})` });
          pieces.push(`[a ${part.mediaType} file was left out]`);
        }
        break;
      case 'tool-call':
        pieces.push(`[called tool ${part.toolName} with ${JSON.stringify(part.input)}]`);
        break;
      case 'tool-result':
        pieces.push(`[tool ${part.toolName} returned ${JSON.stringify(part.output)}]`);
        break;
      default:
        // reasoning and provider-specific parts are not part of the conversation text
        break;
    }
  }
  return pieces.join('\n');
}

/**
 * Pure: the JSON inside a model's answer. Models asked for bare JSON still sometimes wrap it in a code
 * fence or a sentence; this takes the fenced block, else the span from the first `{`/`[` to the last
 * `}`/`]`, else the text as it is (and parsing it will say what is wrong).
 */
export function extractJson(text: string): string {
  const trimmed = text.trim();
  const fenced = /```(?:json)?[ \t]*\n?([\s\S]*?)\n?[ \t]*```/i.exec(trimmed);
  if (fenced) return fenced[1].trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return trimmed;
  const start = trimmed.search(/[{[]/);
  const end = Math.max(trimmed.lastIndexOf('}'), trimmed.lastIndexOf(']'));
  return start >= 0 && end > start ? trimmed.slice(start, end + 1) : trimmed;
}
