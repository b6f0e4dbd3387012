import { useState } from 'react';
import { useAction } from '../action';
import { api } from '../api';
import { useApi, useSession } from '../session';
import type { ImprovementCandidate, ImprovementRun, Page, VersionSummary } from '../types';
import { age, ErrorLine, Section, shortId, Status } from '../ui';

/**
 * Improvement runs of a module (docs/improvement-engine.md) and one run's rounds and candidates, read again on
 * every improvement.* event. Prompts are in the record only for admins: the server leaves them out for others.
 */
export function ImprovementRunsPanel({
  module,
  versions,
  refresh,
}: {
  module: string;
  versions: VersionSummary[];
  refresh: number;
}) {
  const runs = useApi<Page<ImprovementRun>>(
    `/modules/${encodeURIComponent(module)}/improvements?limit=20`,
    refresh,
  );
  const [selected, setSelected] = useState<string | null>(null);
  const items = runs.data?.items ?? [];
  return (
    <Section title="Improvement runs">
      <ErrorLine error={runs.error} />
      {items.length === 0 ? <p className="muted">No improvement run yet.</p> : null}
      {items.length ? (
        <table data-testid="improvement-runs">
          <thead>
            <tr>
              <th>run</th>
              <th>goal</th>
              <th>state</th>
              <th>rounds</th>
              <th>tokens</th>
              <th>cost</th>
              <th>by</th>
              <th>age</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} className={r.id === selected ? 'selected' : undefined}>
                <td>
                  <button className="link" onClick={() => setSelected(r.id)}>
                    {shortId(r.id)}
                  </button>
                </td>
                <td className="rationale">{r.goal}</td>
                <td>
                  <Status status={r.state} /> {r.stopReason ?? ''}
                </td>
                <td>{r.roundsDone}</td>
                <td>{r.tokens}</td>
                <td>{usd(r.costUsd)}</td>
                <td>{r.requestedBy ?? '—'}</td>
                <td>{age(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {selected ? <RunView id={selected} versions={versions} refresh={refresh} /> : null}
    </Section>
  );
}

function RunView({ id, versions, refresh }: { id: string; versions: VersionSummary[]; refresh: number }) {
  const session = useSession();
  const run = useApi<ImprovementRun>(`/improvements/${encodeURIComponent(id)}`, refresh);
  const cancel = useAction();
  const seqOf = (versionId: string | null) =>
    versionId ? `#${versions.find((v) => v.id === versionId)?.seq ?? shortId(versionId)}` : '—';
  const r = run.data;
  return (
    <div data-testid="improvement-run">
      <ErrorLine error={run.error ?? cancel.error} />
      {r ? (
        <>
          <h3>
            Run {shortId(r.id)}: <Status status={r.state} /> {r.stopReason ?? ''}
            {r.cancelRequested && r.state === 'running' ? ' (cancel requested)' : ''}
          </h3>
          {session.can('cancel-improvement') && r.state === 'running' && !r.cancelRequested ? (
            <button
              className="danger"
              onClick={() =>
                void cancel.run(async () => {
                  await api(session.token, 'POST', `/improvements/${encodeURIComponent(id)}/cancel`);
                  run.reload();
                })
              }
            >
              Cancel run
            </button>
          ) : null}
          {(r.rounds ?? []).map((round) => (
            <table key={round.round} aria-label={`round ${round.round}`}>
              <thead>
                <tr>
                  <th colSpan={8}>round {round.round}</th>
                </tr>
                <tr>
                  <th>#</th>
                  <th>parent</th>
                  <th>edit</th>
                  <th>version</th>
                  <th>utility</th>
                  <th>cost</th>
                  <th>decision</th>
                  <th>feedback</th>
                </tr>
              </thead>
              <tbody>
                {round.candidates.map((c) => (
                  <Candidate key={c.id} c={c} seqOf={seqOf} />
                ))}
              </tbody>
            </table>
          ))}
        </>
      ) : null}
    </div>
  );
}

function Candidate({ c, seqOf }: { c: ImprovementCandidate; seqOf: (id: string | null) => string }) {
  return (
    <tr>
      <td>{c.index}</td>
      <td>
        {seqOf(c.parentVersionId)} <span className="muted">{c.parentWhy ?? ''}</span>
      </td>
      <td>
        {c.editKind ?? '—'} <span className="muted">{c.model ?? ''}</span>
      </td>
      <td>
        {seqOf(c.versionId)} <Status status={c.status} />
      </td>
      <td>{c.utility === null ? '—' : c.utility.toFixed(2)}</td>
      <td>{usd(c.costUsd)}</td>
      <td>{c.decision ?? '—'}</td>
      <td>
        <pre className="values">{(c.feedback ?? []).join('\n')}</pre>
        {c.prompt !== undefined ? (
          <details>
            <summary>prompt</summary>
            <pre className="source" data-testid="prompt">
              {typeof c.prompt === 'string' ? c.prompt : JSON.stringify(c.prompt, null, 2)}
            </pre>
          </details>
        ) : null}
      </td>
    </tr>
  );
}

function usd(cost: number | string | null): string {
  return cost === null ? '—' : `$${Number(cost).toFixed(4)}`;
}
