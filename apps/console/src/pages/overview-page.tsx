import { useState } from 'react';
import { useEvents } from '../event-hub';
import { ModuleRow, OVERVIEW_WINDOW_MS } from '../panels/module-row';
import { CreateModuleForm } from '../panels/create-module-form';
import { useApi, usePoll, useSession } from '../session';
import type { ClusterView, ModuleSummary, Page, QueueCounts } from '../types';
import { ErrorLine, Section } from '../ui';

/** Calls emit no event: the overview reads its counters, queues and nodes again on this period. */
const POLL_MS = 15_000;
/**
 * Rows with live counters (two requests each per period): with the default rate limit of 1200 requests a
 * minute per token, 20 rows every 15 s spend 160.
 */
const LIVE_ROWS = 20;

/** Modules with their active version, calls, faults and rollout; queue depth; nodes. */
export function OverviewPage() {
  const session = useSession();
  const poll = usePoll(POLL_MS);
  // An activation, a rollback or a deletion changes the module list and the active versions at once.
  const [changes, setChanges] = useState(0);
  useEvents((event) => {
    if (event.type.startsWith('module.')) setChanges((n) => n + 1);
  });
  const modules = useApi<Page<ModuleSummary>>('/modules?limit=200', poll + changes);
  const cluster = useApi<ClusterView>('/cluster', poll + changes);
  const queues = useApi<{ queues: QueueCounts[] }>('/queues', poll);
  const items = modules.data?.items ?? [];
  return (
    <>
      <Section title="Modules">
        <ErrorLine error={modules.error} />
        <table data-testid="overview-modules">
          <thead>
            <tr>
              <th>Module</th>
              <th>Active version</th>
              <th>Calls ({OVERVIEW_WINDOW_MS / 60_000} min)</th>
              <th>Module faults</th>
              <th>Rollout</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m, index) => (
              <ModuleRow
                key={m.name}
                module={m}
                activeSeq={cluster.data?.active?.[m.name]?.seq}
                live={index < LIVE_ROWS}
                poll={poll}
              />
            ))}
          </tbody>
        </table>
        {modules.data && items.length === 0 ? <p className="muted">No modules yet.</p> : null}
        {items.length > LIVE_ROWS ? (
          <p className="muted">
            Calls, faults and rollouts for the first {LIVE_ROWS} modules; open a module for the rest.
          </p>
        ) : null}
      </Section>
      <div className="columns">
        <Section title="Queues">
          <ErrorLine error={queues.error} />
          <table data-testid="overview-queues">
            <thead>
              <tr>
                <th>Queue</th>
                <th>Depth</th>
                <th>Waiting</th>
                <th>Active</th>
                <th>Delayed</th>
                <th>Failed</th>
              </tr>
            </thead>
            <tbody>
              {queues.data?.queues.map((q) => (
                <tr key={q.name} data-queue={q.name}>
                  <td>{q.name}</td>
                  <td>
                    <strong>{q.depth}</strong>
                  </td>
                  <td>{q.waiting}</td>
                  <td>{q.active}</td>
                  <td>{q.delayed}</td>
                  <td className={q.failed ? 'warning' : undefined}>{q.failed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <NodesSection cluster={cluster.data} error={cluster.error} />
      </div>
      {session.can('create') ? <CreateModuleForm onCreated={modules.reload} /> : null}
    </>
  );
}

function NodesSection({ cluster, error }: { cluster?: ClusterView; error?: string }) {
  return (
    <Section title="Nodes">
      <ErrorLine error={error} />
      {cluster?.degraded.length ? <p className="warning">Degraded: {cluster.degraded.join(', ')}</p> : null}
      <table data-testid="overview-nodes">
        <thead>
          <tr>
            <th>Node</th>
            <th>Version</th>
            <th>Last seen</th>
            <th>Modules</th>
          </tr>
        </thead>
        <tbody>
          {cluster?.nodes.map((n) => {
            const behind = n.modules.filter((m) => m.behind).length;
            return (
              <tr key={n.name}>
                <td>
                  {n.name}
                  {n.name === cluster.self ? ' (this node)' : ''}
                </td>
                <td>{n.serviceVersion}</td>
                <td>{Math.round(n.lastSeenMs / 1000)}s ago</td>
                <td className={behind ? 'warning' : undefined}>
                  {n.modules.length} loaded{behind ? `, ${behind} behind` : ''}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}
