import { useState } from 'react';
import { useApi, usePoll } from '../session';
import type { Counters, ModuleStats, VersionSummary } from '../types';
import { ErrorLine, Section } from '../ui';

/** Calls are not events: the charts read the counters again on this period as well as on the page's events. */
const POLL_MS = 5000;
const WINDOWS = [
  { label: '10 min', ms: 600_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: '6 h', ms: 21_600_000 },
];
const ROLE_COLOUR = { stable: '#2b6cb0', canary: '#dd6b20' } as const;
const W = 360;
const H = 120;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

type Metric = { title: string; value: (c: Counters) => number | null; unit: string };
const METRICS: Metric[] = [
  { title: 'calls', value: (c) => c.calls, unit: '' },
  { title: 'module faults', value: (c) => c.faults, unit: '' },
  { title: 'p99 latency', value: (c) => c.p99Ms, unit: ' ms' },
];

/** GET /modules/:name/stats as line charts per version (stable vs canary during a rollout), in plain SVG. */
export function StatsPanel({
  module,
  versions,
  refresh,
}: {
  module: string;
  versions: VersionSummary[];
  refresh: number;
}) {
  const [windowMs, setWindowMs] = useState(WINDOWS[0].ms);
  const tick = usePoll(POLL_MS);
  const stats = useApi<ModuleStats>(
    `/modules/${encodeURIComponent(module)}/stats?windowMs=${windowMs}`,
    refresh + tick,
  );
  const data = stats.data;
  const seqOf = (id: string) => versions.find((v) => v.id === id)?.seq ?? '?';
  const to = Date.now();
  const from = to - windowMs;
  return (
    <Section
      title="Stats"
      actions={
        <select name="stats-window" value={windowMs} onChange={(e) => setWindowMs(Number(e.target.value))}>
          {WINDOWS.map((w) => (
            <option key={w.ms} value={w.ms}>
              {w.label}
            </option>
          ))}
        </select>
      }
    >
      <ErrorLine error={stats.error} />
      {data ? (
        <>
          <p className="legend" data-testid="stats-totals">
            {data.versions.length === 0 ? 'No active version.' : null}
            {data.versions.map((v) => (
              <span key={v.versionId} className={`series-${v.role}`}>
                #{seqOf(v.versionId)} {v.role}: {v.total.calls} calls, {v.total.faults} faults
                {v.total.errorRate === null ? '' : ` (${(v.total.errorRate * 100).toFixed(1)} %)`}, p99{' '}
                {v.total.p99Ms === null ? '—' : `${v.total.p99Ms} ms`}{' '}
              </span>
            ))}
          </p>
          <div className="charts">
            {METRICS.map((m) => (
              <Chart key={m.title} metric={m} stats={data} from={from} to={to} />
            ))}
          </div>
        </>
      ) : null}
    </Section>
  );
}

function Chart({
  metric,
  stats,
  from,
  to,
}: {
  metric: Metric;
  stats: ModuleStats;
  from: number;
  to: number;
}) {
  const series = stats.versions.map((v) => ({
    role: v.role,
    points: v.intervals
      .map((i) => ({ t: Date.parse(i.at), y: metric.value(i) }))
      .filter((p): p is { t: number; y: number } => p.y !== null && p.t >= from),
  }));
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const x = (t: number) => PAD.left + ((t - from) / (to - from)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={`${metric.title} per version`}
    >
      <text x={PAD.left} y={PAD.top + 4} fontSize="10">
        {metric.title}
      </text>
      <line x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} stroke="#cbd5e0" />
      <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={y(0)} stroke="#cbd5e0" />
      <text x={PAD.left - 4} y={y(max) + 4} fontSize="10" textAnchor="end">
        {`${+max.toFixed(1)}${metric.unit}`}
      </text>
      <text x={PAD.left - 4} y={y(0)} fontSize="10" textAnchor="end">
        0
      </text>
      <text x={PAD.left} y={H - 4} fontSize="10">
        {`−${Math.round((to - from) / 60_000)} min`}
      </text>
      <text x={W - PAD.right} y={H - 4} fontSize="10" textAnchor="end">
        now
      </text>
      {series.map((s) => (
        <g key={s.role} stroke={ROLE_COLOUR[s.role]} fill={ROLE_COLOUR[s.role]}>
          {s.points.length > 1 ? (
            <polyline fill="none" points={s.points.map((p) => `${x(p.t)},${y(p.y)}`).join(' ')} />
          ) : null}
          {s.points.map((p) => (
            <circle key={p.t} cx={x(p.t)} cy={y(p.y)} r={2} />
          ))}
        </g>
      ))}
    </svg>
  );
}
