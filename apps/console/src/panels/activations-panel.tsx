import { useApi } from '../session';
import type { Activation, Page, VersionSummary } from '../types';
import { ErrorLine, Section } from '../ui';

/** Every switch of the active version as a timeline: when, from → to, reason, actor. */
export function ActivationsPanel({
  module,
  versions,
  version,
}: {
  module: string;
  versions: VersionSummary[];
  version: number;
}) {
  const activations = useApi<Page<Activation>>(
    `/modules/${encodeURIComponent(module)}/activations?limit=50`,
    version,
  );
  const seq = (id: string | null) => {
    const v = id ? versions.find((x) => x.id === id) : undefined;
    return v ? `#${v.seq}` : id ? id.slice(0, 8) : '—';
  };
  return (
    <Section title="Activations">
      <ErrorLine error={activations.error} />
      <ol className="timeline" data-testid="activations">
        {activations.data?.items.map((a) => (
          <li key={`${a.createdAt}-${a.toVersionId}`} className={`reason-${a.reason}`}>
            <time>{new Date(a.createdAt).toLocaleString()}</time>
            <span>
              {seq(a.fromVersionId)} → {seq(a.toVersionId)}
            </span>
            <strong>{a.reason}</strong>
            <span className="muted">{a.actor}</span>
          </li>
        ))}
      </ol>
    </Section>
  );
}
