export interface ReceivedEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface EventStreamClient {
  readonly status: number;
  readonly contentType: string | null;
  /** Every event received so far, in order. */
  readonly events: ReceivedEvent[];
  close(): Promise<void>;
}

/** Opens a server-sent event stream and parses its events as they arrive. */
export async function openEventStream(url: string, token: string): Promise<EventStreamClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const events: ReceivedEvent[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  })().catch(() => undefined);
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    async close() {
      abort.abort();
      await reading;
    },
  };
}
