import { useState } from 'react';
import { useApi } from '../session';
import type { AuditRow, Page } from '../types';
import { ErrorLine, Json, Section } from '../ui';

const PAGE = 50;

/** The audit log, newest first (admins only: the API refuses others, and the console hides the page). */
export function AuditPage() {
  const [offset, setOffset] = useState(0);
  const audit = useApi<Page<AuditRow>>(`/audit?limit=${PAGE}&offset=${offset}`);
  return (
    <Section title="Audit">
      <ErrorLine error={audit.error} />
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>Outcome</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {audit.data?.items.map((row) => (
            <tr key={row.id}>
              <td>{new Date(row.createdAt).toLocaleString()}</td>
              <td>{row.actor}</td>
              <td>{row.action}</td>
              <td>{row.target}</td>
              <td>
                {row.outcome}
                {row.count > 1 ? ` ×${row.count}` : ''}
              </td>
              <td>{row.details ? <Json value={row.details} /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Newer
        </button>
        <button
          disabled={!audit.data || offset + PAGE >= audit.data.total}
          onClick={() => setOffset(offset + PAGE)}
        >
          Older
        </button>
      </div>
    </Section>
  );
}
