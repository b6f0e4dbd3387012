import { useApi, useSession } from '../session';
import type { ClusterView, ModuleSummary, Page } from '../types';
import { age, ErrorLine, Section, shortId } from '../ui';
import { CreateModuleForm } from '../panels/create-module-form';

/** Modules with their active version, and the cluster in one line. Calls and errors need /stats (not on this server). */
export function OverviewPage() {
  const session = useSession();
  const modules = useApi<Page<ModuleSummary>>('/modules?limit=200');
  const cluster = useApi<ClusterView>('/cluster');
  return (
    <>
      <Section title="Modules">
        <ErrorLine error={modules.error} />
        <table>
          <thead>
            <tr>
              <th>Module</th>
              <th>Active version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {modules.data?.items.map((m) => (
              <tr key={m.name}>
                <td>
                  <a href={`#/modules/${encodeURIComponent(m.name)}`}>{m.name}</a>
                </td>
                <td>{shortId(m.activeVersionId)}</td>
                <td>{age(m.updatedAt)} ago</td>
              </tr>
            ))}
          </tbody>
        </table>
        {modules.data && modules.data.items.length === 0 ? <p className="muted">No modules yet.</p> : null}
      </Section>
      <Section title="Cluster">
        <ErrorLine error={cluster.error} />
        {cluster.data ? (
          <p>
            {cluster.data.nodes.length} node(s), answered by {cluster.data.self}
            {cluster.data.degraded.length ? ` — degraded: ${cluster.data.degraded.join(', ')}` : ''}
          </p>
        ) : null}
      </Section>
      {session.can('create') ? <CreateModuleForm onCreated={modules.reload} /> : null}
    </>
  );
}
