import { useState } from 'react';
import { useAction } from '../action';
import { api } from '../api';
import { useApi, useSession } from '../session';
import type { Page, Rollout, RolloutDecision, VersionSummary } from '../types';
import { age, ErrorLine, Section, Status } from '../ui';

const OPEN = ['running', 'paused'];

/**
 * The module's rollouts (docs/rollouts.md): the open one with its live weight (the page reads it again on every
 * rollout.* event), each recorded decision with what the analysis saw and the thresholds it held it to, and the
 * manual actions for admins.
 */
export function RolloutPanel({
  module,
  versions,
  refresh,
  onChanged,
}: {
  module: string;
  versions: VersionSummary[];
  refresh: number;
  onChanged: () => void;
}) {
  const session = useSession();
  const path = `/modules/${encodeURIComponent(module)}/rollouts`;
  const history = useApi<Page<Rollout>>(`${path}?limit=10`, refresh);
  const action = useAction();
  const [candidate, setCandidate] = useState('');
  const seqOf = (id: string | null) => versions.find((v) => v.id === id)?.seq ?? '?';
  const rollouts = history.data?.items ?? [];
  const current = rollouts.find((r) => OPEN.includes(r.status));
  const shown = current ?? rollouts[0];
  const ready = versions.filter((v) => v.status === 'ready' && !v.dryRun);

  const act = (work: () => Promise<unknown>) =>
    void action.run(async () => {
      await work();
      history.reload();
      onChanged();
    });
  const manual = (verb: 'promote' | 'pause' | 'resume' | 'abort') =>
    act(() => api(session.token, 'POST', `${path}/current/${verb}`));

  return (
    <Section title="Rollouts">
      <div data-testid="rollout">
        {shown ? (
          <p>
            #{seqOf(shown.versionId)} over #{seqOf(shown.stableVersionId)}: <Status status={shown.status} />{' '}
            weight <strong data-testid="rollout-weight">{shown.weight}%</strong> (step {shown.step + 1} of{' '}
            {shown.steps.length}: {shown.steps.join(' → ')} %), failures {shown.failures}, started by{' '}
            {shown.actor ?? '—'} {age(shown.createdAt)} ago
          </p>
        ) : (
          <p className="muted">No rollout yet.</p>
        )}
      </div>
      {session.can('rollout') ? (
        <div className="actions">
          {current ? (
            <>
              <button onClick={() => manual('promote')}>Promote</button>
              {current.status === 'running' ? (
                <button onClick={() => manual('pause')}>Pause</button>
              ) : (
                <button onClick={() => manual('resume')}>Resume</button>
              )}
              <button onClick={() => manual('abort')}>Abort</button>
            </>
          ) : ready.length ? (
            <>
              <select name="rollout-version" value={candidate} onChange={(e) => setCandidate(e.target.value)}>
                <option value="">ready version…</option>
                {ready.map((v) => (
                  <option key={v.id} value={v.id}>
                    #{v.seq}
                  </option>
                ))}
              </select>
              <button
                disabled={!candidate}
                onClick={() => act(() => api(session.token, 'POST', path, { versionId: candidate }))}
              >
                Start rollout
              </button>
            </>
          ) : null}
        </div>
      ) : null}
      <ErrorLine error={action.error ?? history.error} />
      {shown?.decisions.length ? <Decisions decisions={shown.decisions} /> : null}
    </Section>
  );
}

function Decisions({ decisions }: { decisions: RolloutDecision[] }) {
  return (
    <table data-testid="rollout-decisions">
      <thead>
        <tr>
          <th>step</th>
          <th>weight</th>
          <th>verdict</th>
          <th>action</th>
          <th>observed</th>
          <th>thresholds</th>
          <th>by</th>
          <th>when</th>
        </tr>
      </thead>
      <tbody>
        {decisions.map((d) => (
          <tr key={d.seq}>
            <td>{d.step + 1}</td>
            <td>{d.weight}%</td>
            <td>
              {d.verdict ?? '—'} <span className="muted">{d.reason}</span>
            </td>
            <td>{d.action}</td>
            <td>
              <Values values={d.observed} />
            </td>
            <td>
              <Values values={d.thresholds} />
            </td>
            <td>{d.actor ?? 'analysis'}</td>
            <td>{age(d.at)} ago</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Flat key: value lines; nested values (per-version counters) stay compact JSON text. */
function Values({ values }: { values: Record<string, unknown> | null }) {
  if (!values) return <>—</>;
  return (
    <pre className="values">
      {Object.entries(values)
        .map(([k, v]) => `${k}: ${typeof v === 'number' ? +v.toFixed(4) : JSON.stringify(v)}`)
        .join('\n')}
    </pre>
  );
}
