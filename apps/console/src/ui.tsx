import type { ReactNode } from 'react';

/** Shared pieces. Everything a module, caller or model wrote is rendered as React text, never as HTML. */

export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre className="json" aria-label={label}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status.replace(/[^a-z_]/g, '')}`}>{status}</span>;
}

export function ErrorLine({ error }: { error?: string }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="panel" aria-label={title}>
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '—';
}

export function scoreLabel(score: Record<string, unknown> | null): string {
  if (!score) return '—';
  const utility = score.utility;
  const passed = score.passed;
  const total = score.total;
  const parts = [];
  if (typeof passed === 'number' && typeof total === 'number') parts.push(`${passed}/${total}`);
  if (typeof utility === 'number') parts.push(`u ${utility.toFixed(2)}`);
  if (typeof score.medianLatencyMs === 'number') parts.push(`${score.medianLatencyMs.toFixed(1)} ms`);
  return parts.length ? parts.join(' · ') : JSON.stringify(score).slice(0, 40);
}
