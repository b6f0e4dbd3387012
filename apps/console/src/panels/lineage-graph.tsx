import type { VersionSummary } from '../types';
import { Section } from '../ui';

const COLUMN = 90;
const ROW = 56;
const RADIUS = 16;

/** Depth from the root along parent links; a parent outside the loaded page counts as a root. */
function depths(versions: VersionSummary[]): Map<string, number> {
  const byId = new Map(versions.map((v) => [v.id, v]));
  const depth = new Map<string, number>();
  const of = (v: VersionSummary, seen: Set<string>): number => {
    const known = depth.get(v.id);
    if (known !== undefined) return known;
    const parent = v.parentId ? byId.get(v.parentId) : undefined;
    const d = parent && !seen.has(parent.id) ? of(parent, seen.add(v.id)) + 1 : 0;
    depth.set(v.id, d);
    return d;
  };
  for (const v of versions) of(v, new Set());
  return depth;
}

/** The archive as a tree: parent → child, coloured by status, labelled by seq and pass ratio. */
export function LineageGraph({
  versions,
  activeId,
  onSelect,
}: {
  versions: VersionSummary[];
  activeId: string | null;
  onSelect: (id: string) => void;
}) {
  const depth = depths(versions);
  const rows = new Map<number, number>();
  const position = new Map<string, { x: number; y: number }>();
  for (const v of [...versions].sort((a, b) => a.seq - b.seq)) {
    const d = depth.get(v.id) ?? 0;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    position.set(v.id, { x: 30 + d * COLUMN, y: 30 + row * ROW });
  }
  const width = 60 + Math.max(0, ...depth.values()) * COLUMN;
  const height = 60 + (Math.max(1, ...rows.values()) - 1) * ROW;
  return (
    <Section title="Lineage">
      <svg className="lineage" width={width} height={height} role="img" aria-label="version lineage">
        {versions.map((v) => {
          const from = v.parentId ? position.get(v.parentId) : undefined;
          const to = position.get(v.id)!;
          return from ? (
            <line key={`e-${v.id}`} x1={from.x} y1={from.y} x2={to.x} y2={to.y} className="edge" />
          ) : null;
        })}
        {versions.map((v) => {
          const p = position.get(v.id)!;
          const ratio = typeof v.score?.ratio === 'number' ? v.score.ratio : null;
          return (
            <g key={v.id} className={`node node-${v.status}`} onClick={() => onSelect(v.id)} data-seq={v.seq}>
              <circle cx={p.x} cy={p.y} r={v.id === activeId ? RADIUS + 3 : RADIUS} />
              <text x={p.x} y={p.y + 4} textAnchor="middle">
                {v.seq}
              </text>
              <text x={p.x} y={p.y + RADIUS + 14} textAnchor="middle" className="label">
                {ratio === null ? v.status : `${Math.round(ratio * 100)}%`}
              </text>
              <title>{`#${v.seq} ${v.status} by ${v.author}`}</title>
            </g>
          );
        })}
      </svg>
      <p className="legend">
        {['active', 'ready', 'retired', 'superseded', 'rejected', 'queued'].map((s) => (
          <span key={s} className={`swatch node-${s}`}>
            {s}
          </span>
        ))}
      </p>
    </Section>
  );
}
