import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import { api, describeError, type Role } from './api';

export interface SignedIn {
  token: string;
  name: string;
  role: Role;
  /** Admins act on everything; agents submit, start and cancel improvements; viewers only read. */
  can(action: Action): boolean;
}

export type Action =
  | 'activate'
  | 'rollback'
  | 'settings'
  | 'create'
  | 'submit'
  | 'improve'
  | 'cancel-improvement'
  | 'rollout'
  | 'audit'
  | 'queues';

const ALLOWED: Record<Role, readonly Action[]> = {
  admin: [
    'activate',
    'rollback',
    'settings',
    'create',
    'submit',
    'improve',
    'cancel-improvement',
    'rollout',
    'audit',
    'queues',
  ],
  agent: ['submit', 'improve', 'cancel-improvement'],
  viewer: [],
};

export function signedIn(token: string, name: string, role: Role): SignedIn {
  return { token, name, role, can: (action) => ALLOWED[role].includes(action) };
}

export const SessionContext = createContext<SignedIn | null>(null);

export function useSession(): SignedIn {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/**
 * Loads `path` with the session's token; `reload` reads it again, and so does a change of `refresh` (a counter
 * the page bumps after an action or on an event).
 */
export function useApi<T>(path: string | null, refresh = 0) {
  const { token } = useSession();
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>(token, 'GET', path).then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: describeError(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [token, path, tick, refresh]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** A counter that goes up every `ms`: for what emits no event (calls, queue counts), read on a period. */
export function usePoll(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick;
}
