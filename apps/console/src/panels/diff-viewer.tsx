import { createTwoFilesPatch } from 'diff';
import { html as diffHtml } from 'diff2html';
import { useEffect, useState } from 'react';
import { api, describeError } from '../api';
import { useSession } from '../session';
import type { VersionDetail, VersionSummary } from '../types';
import { ErrorLine, Section } from '../ui';

/** Source lines this long or more are not diffed in the browser (the API bounds its own diffs the same way). */
const MAX_DIFF_CHARS = 400_000;

/**
 * Any two versions side by side. The only HTML the console inserts is diff2html's, which escapes the source
 * it renders (a test checks a source with <img onerror> stays text); the CSP forbids inline script anyway.
 */
export function DiffViewer({
  module,
  versions,
  pair,
  onPair,
}: {
  module: string;
  versions: VersionSummary[];
  pair: [string | null, string | null];
  onPair: (pair: [string | null, string | null]) => void;
}) {
  const { token } = useSession();
  const [rendered, setRendered] = useState<string>();
  const [error, setError] = useState<string>();
  const [from, to] = pair;

  useEffect(() => {
    setRendered(undefined);
    setError(undefined);
    if (!to) return;
    let live = true;
    const read = (id: string) =>
      api<VersionDetail>(token, 'GET', `/modules/${encodeURIComponent(module)}/versions/${id}`);
    Promise.all([from ? read(from) : Promise.resolve(null), read(to)]).then(
      ([a, b]) => {
        if (!live) return;
        if ((a?.source.length ?? 0) + b.source.length > MAX_DIFF_CHARS) {
          setError('these sources are too large to diff in the browser');
          return;
        }
        // One file name on both sides (versions of one module), the versions in the headers.
        const patch = createTwoFilesPatch(
          `${module}.ts`,
          `${module}.ts`,
          a?.source ?? '',
          b.source,
          a ? `#${a.seq}` : '(empty)',
          `#${b.seq}`,
        );
        setRendered(
          diffHtml(patch, { drawFileList: false, outputFormat: 'side-by-side', matching: 'lines' }),
        );
      },
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [token, module, from, to]);

  const options = versions.map((v) => (
    <option key={v.id} value={v.id}>
      #{v.seq} ({v.status})
    </option>
  ));
  return (
    <Section title="Diff">
      <div className="row">
        <label>
          From
          <select name="diff-from" value={from ?? ''} onChange={(e) => onPair([e.target.value || null, to])}>
            <option value="">(empty)</option>
            {options}
          </select>
        </label>
        <label>
          To
          <select name="diff-to" value={to ?? ''} onChange={(e) => onPair([from, e.target.value || null])}>
            <option value="">(choose)</option>
            {options}
          </select>
        </label>
      </div>
      <ErrorLine error={error} />
      {rendered ? (
        <div className="diff" data-testid="diff" dangerouslySetInnerHTML={{ __html: rendered }} />
      ) : (
        <p className="muted">Choose two versions, or “diff” on a version to compare it with its parent.</p>
      )}
    </Section>
  );
}
