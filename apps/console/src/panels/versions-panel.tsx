import { useAction } from '../action';
import { api } from '../api';
import { useSession } from '../session';
import type { VersionSummary } from '../types';
import { age, ErrorLine, scoreLabel, Section, Status } from '../ui';

/** The version list with its actions by role: activate (approve a held one), diff with its parent. */
export function VersionsPanel({
  module,
  versions,
  activeId,
  selected,
  onSelect,
  onDiff,
  onChanged,
}: {
  module: string;
  versions: VersionSummary[];
  activeId: string | null;
  selected: string | null;
  onSelect: (id: string) => void;
  onDiff: (from: string | null, to: string) => void;
  onChanged: () => void;
}) {
  const session = useSession();
  const { error, run } = useAction();
  const act = (path: string, body: unknown) =>
    run(async () => {
      await api(session.token, 'POST', `/modules/${encodeURIComponent(module)}/${path}`, body);
      onChanged();
    });
  const activatable = (v: VersionSummary) =>
    v.id !== activeId && !v.dryRun && ['ready', 'superseded'].includes(v.status);
  return (
    <Section
      title="Versions"
      actions={
        session.can('rollback') && activeId ? (
          <button className="danger" onClick={() => act('rollback', {})}>
            Roll back
          </button>
        ) : null
      }
    >
      <ErrorLine error={error} />
      <table data-testid="versions">
        <thead>
          <tr>
            <th>Seq</th>
            <th>Status</th>
            <th>Author</th>
            <th>Rationale</th>
            <th>Score</th>
            <th>Age</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.id} data-seq={v.seq} className={v.id === selected ? 'selected' : undefined}>
              <td>
                <button className="link" onClick={() => onSelect(v.id)}>
                  #{v.seq}
                </button>
              </td>
              <td>
                <Status status={v.id === activeId ? 'active' : v.status} />
                {v.dryRun ? ' dry run' : ''}
              </td>
              <td>{v.author}</td>
              <td className="rationale">{v.rationale ?? ''}</td>
              <td>{scoreLabel(v.score)}</td>
              <td>{age(v.createdAt)}</td>
              <td className="actions">
                <button className="link" onClick={() => onDiff(v.parentId, v.id)}>
                  diff
                </button>
                {session.can('activate') && activatable(v) ? (
                  <button onClick={() => act('activate', { versionId: v.id })}>
                    {v.status === 'ready' ? 'Approve & activate' : 'Activate'}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
