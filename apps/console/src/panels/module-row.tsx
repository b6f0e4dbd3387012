import { useState } from 'react';
import { useEvents } from '../event-hub';
import { useApi } from '../session';
import type { ModuleStats, ModuleSummary, Page, Rollout } from '../types';
import { age, shortId, Status } from '../ui';

/** "The last minutes" of the overview: the window of its calls and faults. */
export const OVERVIEW_WINDOW_MS = 300_000;

/**
 * One module of the overview. `live` rows read their stats and latest rollout (two requests) on every `poll`
 * tick and on every event about the module; the others show only what the module list says.
 */
export function ModuleRow({
  module,
  activeSeq,
  live,
  poll,
}: {
  module: ModuleSummary;
  activeSeq: number | undefined;
  live: boolean;
  poll: number;
}) {
  const path = `/modules/${encodeURIComponent(module.name)}`;
  const [events, setEvents] = useState(0);
  useEvents((event) => {
    if (live && event.data.module === module.name) setEvents((n) => n + 1);
  });
  const stats = useApi<ModuleStats>(
    live ? `${path}/stats?windowMs=${OVERVIEW_WINDOW_MS}` : null,
    poll + events,
  );
  const rollouts = useApi<Page<Rollout>>(live ? `${path}/rollouts?limit=1` : null, poll + events);
  const totals = stats.data?.versions.reduce(
    (sum, v) => ({ calls: sum.calls + v.total.calls, faults: sum.faults + v.total.faults }),
    { calls: 0, faults: 0 },
  );
  const rollout = rollouts.data?.items[0];
  const open = rollout && (rollout.status === 'running' || rollout.status === 'paused');
  return (
    <tr data-module={module.name}>
      <td>
        <a href={`#${path}`}>{module.name}</a>
      </td>
      <td data-testid="overview-active">
        {module.activeVersionId ? `#${activeSeq ?? '?'}` : '—'}{' '}
        <span className="muted">{shortId(module.activeVersionId)}</span>
      </td>
      <td data-testid="overview-calls">{totals ? totals.calls : '—'}</td>
      <td data-testid="overview-faults" className={totals?.faults ? 'warning' : undefined}>
        {totals ? totals.faults : '—'}
      </td>
      <td data-testid="overview-rollout">
        {rollout ? (
          <>
            <Status status={rollout.status} />{' '}
            {open ? (
              <>
                <strong>{rollout.weight}%</strong> (step {rollout.step + 1} of {rollout.steps.length})
              </>
            ) : (
              <span className="muted">{age(rollout.endedAt ?? rollout.createdAt)} ago</span>
            )}
          </>
        ) : (
          <span className="muted">{live ? (stats.error ?? rollouts.error ?? '—') : '—'}</span>
        )}
      </td>
      <td>{age(module.updatedAt)} ago</td>
    </tr>
  );
}
