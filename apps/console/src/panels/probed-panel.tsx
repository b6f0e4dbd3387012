import { useEffect, useState } from 'react';
import { api, ApiFailure, describeError } from '../api';
import { useSession } from '../session';
import { ErrorLine, Json, NotAvailable, Section } from '../ui';

/**
 * A panel over an API other slices are adding (rollouts, improvement runs, stats): probed, it shows the
 * server's own records when the route exists, and says it is not available when the route answers 404.
 */
export function ProbedPanel({ title, path, refresh }: { title: string; path: string; refresh: number }) {
  const { token } = useSession();
  const [state, setState] = useState<{ data?: unknown; missing?: boolean; error?: string }>({});
  useEffect(() => {
    let live = true;
    api(token, 'GET', path).then(
      (data) => live && setState({ data }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof ApiFailure && error.status === 404 && error.code === 'not_found')
          setState({ missing: true });
        else setState({ error: describeError(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [token, path, refresh]);
  return (
    <Section title={title}>
      {state.missing ? <NotAvailable what={title} route={`GET ${path.split('?')[0]}`} /> : null}
      <ErrorLine error={state.error} />
      {state.data !== undefined ? <Json value={state.data} /> : null}
    </Section>
  );
}
