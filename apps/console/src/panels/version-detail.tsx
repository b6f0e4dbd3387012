import { Diagnostics } from '../pages/feed-page';
import { useApi } from '../session';
import type { VersionDetail } from '../types';
import { ErrorLine, Json, Section, Status } from '../ui';

/** One version's source, diagnostics and test report: all text. */
export function VersionDetailPanel({ module, id }: { module: string; id: string }) {
  const version = useApi<VersionDetail>(`/modules/${encodeURIComponent(module)}/versions/${id}`);
  const v = version.data;
  return (
    <Section title={v ? `Version #${v.seq}` : 'Version'}>
      <ErrorLine error={version.error} />
      {v ? (
        <>
          <p>
            <Status status={v.status} /> by {v.author} · sha256 <code>{v.sha256.slice(0, 12)}</code>
          </p>
          {v.rationale ? <p className="rationale">{v.rationale}</p> : null}
          {v.diagnostics?.length ? <Diagnostics items={v.diagnostics} /> : null}
          <pre className="source" data-testid="source">
            {v.source}
          </pre>
          {v.testReport ? (
            <details>
              <summary>Test report</summary>
              <Json value={v.testReport} />
            </details>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}
