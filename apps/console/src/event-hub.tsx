import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { subscribeEvents, type FeedEvent } from './events';

type Listener = (event: FeedEvent) => void;

interface Hub {
  listen(listener: Listener): () => void;
  state: string;
}

const HubContext = createContext<Hub | null>(null);

/**
 * One /events stream per tab, shared by every page and panel: the server caps streams per token, and an
 * operator with a few tabs open should not reach the cap.
 */
export function EventHub({ token, children }: { token: string; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState('connecting');
  useEffect(
    () =>
      subscribeEvents(
        token,
        (event) => listeners.current.forEach((listener) => listener(event)),
        (s, detail) => setState(detail ? `${s}: ${detail}` : s),
      ),
    [token],
  );
  const listen = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const hub: Hub = { state, listen };
  return <HubContext.Provider value={hub}>{children}</HubContext.Provider>;
}

/** Calls `listener` with every event while the component is mounted; returns the stream's state. */
export function useEvents(listener: Listener): string {
  const hub = useContext(HubContext);
  if (!hub) throw new Error('useEvents outside an EventHub');
  const latest = useRef(listener);
  latest.current = listener;
  const { listen } = hub;
  useEffect(() => listen((event) => latest.current(event)), [listen]);
  return hub.state;
}
