import { ApiClient, failureOf, type WireObject } from './api-client.js';

export interface ServerEvent {
  type: string;
  data: WireObject;
}

/**
 * GET /events read with fetch streaming (EventSource cannot send the bearer header). Yields each event,
 * `ready` first once the server has subscribed us; ends when the server closes or `signal` aborts.
 */
export async function* eventStream(
  client: ApiClient,
  options: { module?: string; signal?: AbortSignal } = {},
): AsyncGenerator<ServerEvent> {
  const query = options.module ? `?module=${encodeURIComponent(options.module)}` : '';
  const response = await client.fetch(`/events${query}`, {
    headers: { accept: 'text/event-stream' },
    signal: options.signal,
  });
  if (!response.ok) throw await failureOf(response);
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const event = parseFrame(frame);
        if (event) yield event;
      }
    }
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  }
}

function parseFrame(frame: string): ServerEvent | null {
  let type = 'message';
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return null;
  try {
    return { type, data: JSON.parse(data.join('\n')) as WireObject };
  } catch {
    return null;
  }
}
