import { useState } from 'react';
import { useAction } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import { ErrorLine, Section } from '../ui';

/**
 * bull-board at /ui/queues needs a cookie (its page loads cannot send the bearer header): the admin's token
 * buys an HttpOnly, SameSite=Strict one with a bearer POST, then the board opens in a new tab.
 */
export function QueuesPage() {
  const { token } = useSession();
  const { error, run } = useAction();
  const [ready, setReady] = useState(false);
  return (
    <Section title="Queues">
      <p>The pipeline and agent queues in bull-board, read-only, for one hour per session.</p>
      <button
        onClick={() =>
          run(async () => {
            await api(token, 'POST', '/ui/session');
            setReady(true);
          })
        }
      >
        Open a queue session
      </button>
      {ready ? (
        <p>
          <a href="/ui/queues/" target="_blank" rel="noopener noreferrer">
            Open the queues
          </a>
        </p>
      ) : null}
      <ErrorLine error={error} />
    </Section>
  );
}
