/** /events read with fetch streaming: EventSource cannot send the bearer header, and the token stays out of URLs. */

export interface FeedEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export function subscribeEvents(
  token: string,
  onEvent: (event: FeedEvent) => void,
  onState: (state: 'open' | 'closed' | 'retrying', detail?: string) => void,
): () => void {
  const controller = new AbortController();
  void (async () => {
    let delayMs = 500;
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/events', {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        onState('open');
        delayMs = 500;
        await readFrames(response.body, onEvent);
      } catch (error) {
        if (controller.signal.aborted) break;
        onState('retrying', error instanceof Error ? error.message : String(error));
      }
      if (controller.signal.aborted) break;
      // The stream ended or failed: reconnect with a capped backoff.
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 10_000);
    }
    onState('closed');
  })();
  return () => controller.abort();
}

async function readFrames(body: ReadableStream<Uint8Array>, onEvent: (event: FeedEvent) => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) onEvent(frame);
    }
  }
}

export function parseFrame(text: string): FeedEvent | null {
  let id = '';
  let type = 'message';
  const data: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (!data.length) return null;
  try {
    return { id, type, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
  } catch {
    return null;
  }
}
