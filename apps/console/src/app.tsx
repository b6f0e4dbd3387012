import { useEffect, useState } from 'react';
import { describeError, storedToken, storeToken, whoami } from './api';
import { EventHub } from './event-hub';
import { AuditPage } from './pages/audit-page';
import { ClusterPage } from './pages/cluster-page';
import { FeedPage } from './pages/feed-page';
import { ModulePage } from './pages/module-page';
import { OverviewPage } from './pages/overview-page';
import { QueuesPage } from './pages/queues-page';
import { SessionContext, signedIn, useSession, type SignedIn } from './session';
import { ErrorLine } from './ui';

/** Pages by hash (#/modules/name): the server only serves the shell, and no token or datum enters a URL. */
function useRoute(): string[] {
  const read = () =>
    window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const [session, setSession] = useState<SignedIn | null>(null);
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(() => storedToken() !== null);

  const signIn = async (token: string) => {
    setError(undefined);
    try {
      const who = await whoami(token);
      storeToken(token);
      setSession(signedIn(token, who.name, who.role));
    } catch (e) {
      storeToken(null);
      setError(describeError(e));
    } finally {
      setChecking(false);
    }
  };

  useEffect(() => {
    const token = storedToken();
    if (token) void signIn(token);
  }, []);

  if (checking) return <p className="muted">Signing in…</p>;
  if (!session) return <SignIn onSubmit={signIn} error={error} />;
  return (
    <SessionContext.Provider value={session}>
      <EventHub token={session.token}>
        <Shell
          onSignOut={() => {
            storeToken(null);
            setSession(null);
          }}
        />
      </EventHub>
    </SessionContext.Provider>
  );
}

function SignIn({ onSubmit, error }: { onSubmit: (token: string) => void; error?: string }) {
  const [token, setToken] = useState('');
  return (
    <main className="sign-in">
      <h1>Seed Agent</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <label>
          API token
          <input
            name="token"
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
      <ErrorLine error={error} />
      <p className="muted">
        The token stays in this tab (sessionStorage) and is sent as a bearer header only.
      </p>
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const session = useSession();
  const [page, arg] = route;
  const links: Array<[string, string, boolean]> = [
    ['#/', 'Overview', true],
    ['#/feed', 'Pipeline', true],
    ['#/cluster', 'Cluster', true],
    ['#/audit', 'Audit', session.can('audit')],
    ['#/queues', 'Queues', session.can('queues')],
  ];
  return (
    <div className="shell">
      <nav>
        <strong>Seed Agent</strong>
        {links
          .filter(([, , shown]) => shown)
          .map(([href, label]) => (
            <a key={href} href={href} className={`#/${page ?? ''}` === href ? 'current' : undefined}>
              {label}
            </a>
          ))}
        <span className="who" data-testid="who">
          {session.name} ({session.role})
        </span>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </nav>
      <main>
        {page === 'modules' && arg ? (
          <ModulePage key={arg} name={arg} />
        ) : page === 'feed' ? (
          <FeedPage />
        ) : page === 'cluster' ? (
          <ClusterPage />
        ) : page === 'audit' && session.can('audit') ? (
          <AuditPage />
        ) : page === 'queues' && session.can('queues') ? (
          <QueuesPage />
        ) : (
          <OverviewPage />
        )}
      </main>
    </div>
  );
}
