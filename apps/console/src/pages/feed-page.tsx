import { useState } from 'react';
import { api } from '../api';
import { useEvents } from '../event-hub';
import type { FeedEvent } from '../events';
import { useSession } from '../session';
import type { Diagnostic, VersionDetail } from '../types';
import { Json, Section, shortId } from '../ui';

const KEEP = 200;
const ROW_EVENTS = new Set([
  'version.submitted',
  'version.stage',
  'version.rejected',
  'version.ready',
  'version.superseded',
  'version.load_failed',
  'module.activated',
]);

interface Row {
  module: string;
  versionId: string;
  seq?: number;
  stages: string[];
  outcome?: string;
  diagnostics?: Diagnostic[];
  at: string;
}

/** Submissions moving through the stages, live from /events; a rejection shows its diagnostics. */
export function FeedPage() {
  const { token } = useSession();
  const [rows, setRows] = useState<Row[]>([]);
  const [others, setOthers] = useState<FeedEvent[]>([]);
  const state = useEvents((event) => {
    const d = event.data;
    if (typeof d.versionId === 'string' && typeof d.module === 'string' && ROW_EVENTS.has(event.type)) {
      setRows((current) => apply(current, event));
      if (event.type === 'version.rejected') {
        // Events carry the first diagnostics only: the version holds them all.
        void api<VersionDetail>(
          token,
          'GET',
          `/modules/${encodeURIComponent(d.module)}/versions/${d.versionId}`,
        )
          .then((v) =>
            setRows((current) =>
              current.map((r) => (r.versionId === v.id ? { ...r, diagnostics: v.diagnostics ?? [] } : r)),
            ),
          )
          .catch(() => undefined);
      }
    } else if (event.type !== 'heartbeat' && event.type !== 'ready') {
      setOthers((current) => [event, ...current].slice(0, KEEP));
    }
  });

  return (
    <>
      <Section title="Pipeline feed">
        <p className="muted" data-testid="feed-state">
          stream {state}
        </p>
        <table data-testid="feed">
          <thead>
            <tr>
              <th>Module</th>
              <th>Version</th>
              <th>Stages</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.versionId} data-version={r.versionId}>
                <td>
                  <a href={`#/modules/${encodeURIComponent(r.module)}`}>{r.module}</a>
                </td>
                <td>{r.seq !== undefined ? `#${r.seq}` : shortId(r.versionId)}</td>
                <td>{r.stages.join(' → ')}</td>
                <td>
                  <span className={`status status-${r.outcome ?? 'queued'}`} data-testid="outcome">
                    {r.outcome ?? 'running'}
                  </span>
                  {r.diagnostics?.length ? <Diagnostics items={r.diagnostics} /> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 ? <p className="muted">Waiting for submissions…</p> : null}
      </Section>
      <Section title="Other events">
        <ul className="events">
          {others.map((e) => (
            <li key={`${e.id}-${e.type}`}>
              <code>{e.type}</code> {String(e.data.module ?? '')}{' '}
              {String(e.data.reason ?? e.data.outcome ?? '')}
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}

export function Diagnostics({ items }: { items: Diagnostic[] }) {
  return (
    <ul className="diagnostics" data-testid="diagnostics">
      {items.map((d, i) => (
        <li key={i}>
          <strong>{d.stage}</strong>
          {d.line !== undefined ? ` ${d.line}:${d.column ?? 0}` : ''}
          {d.case ? ` case ${d.case}` : ''}: <span className="message">{d.message}</span>
          {d.expected !== undefined || d.actual !== undefined ? (
            <Json value={{ input: d.input, expected: d.expected, actual: d.actual }} />
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function apply(rows: Row[], event: FeedEvent): Row[] {
  const d = event.data as Record<string, unknown> & { module: string; versionId: string; at?: string };
  const index = rows.findIndex((r) => r.versionId === d.versionId);
  const row: Row =
    index >= 0
      ? { ...rows[index] }
      : { module: d.module, versionId: d.versionId, stages: [], at: d.at ?? '' };
  switch (event.type) {
    case 'version.submitted':
      row.seq = typeof d.seq === 'number' ? d.seq : row.seq;
      row.stages = [...row.stages, 'queued'];
      break;
    case 'version.stage':
      row.stages = [...row.stages, String(d.stage)];
      break;
    case 'version.rejected':
      row.outcome = 'rejected';
      row.diagnostics = (d.diagnostics as Diagnostic[] | undefined) ?? [];
      break;
    case 'version.ready':
      row.outcome = d.held ? 'held' : 'ready';
      break;
    case 'version.superseded':
      row.outcome = 'superseded';
      break;
    case 'version.load_failed':
      row.outcome = 'load-failed';
      break;
    case 'module.activated':
      row.outcome = 'active';
      row.seq = typeof d.seq === 'number' ? d.seq : row.seq;
      break;
  }
  const next = index >= 0 ? rows.map((r, i) => (i === index ? row : r)) : [row, ...rows];
  return next.slice(0, KEEP);
}
