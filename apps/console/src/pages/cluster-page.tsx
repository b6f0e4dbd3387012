import { useApi } from '../session';
import type { ClusterView } from '../types';
import { ErrorLine, Section, shortId } from '../ui';

/** Nodes, the versions they serve, which are behind PostgreSQL, and what DNS disagrees on (partitions). */
export function ClusterPage() {
  const cluster = useApi<ClusterView>('/cluster');
  const view = cluster.data;
  return (
    <Section title="Cluster" actions={<button onClick={cluster.reload}>Refresh</button>}>
      <ErrorLine error={cluster.error} />
      {view?.degraded.length ? <p className="warning">Degraded: {view.degraded.join(', ')}</p> : null}
      {view?.missing?.length ? (
        <p className="warning">In DNS but not heartbeating (partition?): {view.missing.join(', ')}</p>
      ) : null}
      {view?.unexpected?.length ? (
        <p className="warning">
          Heartbeating but not in DNS:{' '}
          {view.unexpected.map((u) => `${u.name} (${u.address ?? 'no address'})`).join(', ')}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Node</th>
            <th>Version</th>
            <th>Last seen</th>
            <th>Modules (current / draining)</th>
          </tr>
        </thead>
        <tbody>
          {view?.nodes.map((n) => (
            <tr key={n.name}>
              <td>
                {n.name}
                {n.name === view.self ? ' (this node)' : ''}
                {n.region ? ` · ${n.region}` : ''}
              </td>
              <td>{n.serviceVersion}</td>
              <td>{Math.round(n.lastSeenMs / 1000)}s ago</td>
              <td>
                {n.modules.map((m) => (
                  <div key={m.name} className={m.behind ? 'warning' : undefined}>
                    {m.name}: {shortId(m.current)}
                    {m.old ? ` / draining ${shortId(m.old)}` : ''}
                    {m.behind ? ' — behind' : ''}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
