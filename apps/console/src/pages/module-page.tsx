import { useState } from 'react';
import { useEvents } from '../event-hub';
import { ActivationsPanel } from '../panels/activations-panel';
import { DiffViewer } from '../panels/diff-viewer';
import { ImprovePanel } from '../panels/improve-panel';
import { ImprovementRunsPanel } from '../panels/improvement-runs-panel';
import { InvokePanel } from '../panels/invoke-panel';
import { LineageGraph } from '../panels/lineage-graph';
import { RolloutPanel } from '../panels/rollout-panel';
import { SettingsPanel } from '../panels/settings-panel';
import { StatsPanel } from '../panels/stats-panel';
import { SubmitPanel } from '../panels/submit-panel';
import { TestsPanel } from '../panels/tests-panel';
import { VersionDetailPanel } from '../panels/version-detail';
import { VersionsPanel } from '../panels/versions-panel';
import { useApi, useSession } from '../session';
import type { ModuleSummary, Page, VersionSummary } from '../types';
import { ErrorLine } from '../ui';

/**
 * One module: versions, lineage, diff, cases, activations, rollouts, stats, improvement runs, invoke, and the
 * actions its viewer's role allows.
 */
export function ModulePage({ name }: { name: string }) {
  const session = useSession();
  const path = `/modules/${encodeURIComponent(name)}`;
  // Bumped by every event about this module: each panel reads its API again.
  const [refresh, setRefresh] = useState(0);
  const module = useApi<ModuleSummary>(path, refresh);
  const versions = useApi<Page<VersionSummary>>(`${path}/versions?limit=200`, refresh);
  const [selected, setSelected] = useState<string | null>(null);
  const [pair, setPair] = useState<[string | null, string | null]>([null, null]);

  useEvents((event) => {
    if (event.data.module === name) setRefresh((n) => n + 1);
  });

  const items = versions.data?.items ?? [];
  const activeId = module.data?.activeVersionId ?? null;
  const active = items.find((v) => v.id === activeId);
  return (
    <>
      <h1>
        {name}{' '}
        <small className="muted" data-testid="active-seq">
          {active ? `active #${active.seq}` : 'no active version'}
        </small>
      </h1>
      <ErrorLine error={module.error ?? versions.error} />
      <VersionsPanel
        module={name}
        versions={items}
        activeId={activeId}
        selected={selected}
        onSelect={setSelected}
        onDiff={(from, to) => setPair([from, to])}
        onChanged={() => setRefresh((n) => n + 1)}
      />
      <LineageGraph versions={items} activeId={activeId} onSelect={setSelected} />
      <DiffViewer module={name} versions={items} pair={pair} onPair={setPair} />
      {selected ? <VersionDetailPanel key={`${selected}-${refresh}`} module={name} id={selected} /> : null}
      <ActivationsPanel module={name} versions={items} version={refresh} />
      <TestsPanel module={name} version={refresh} />
      <RolloutPanel
        module={name}
        versions={items}
        refresh={refresh}
        onChanged={() => setRefresh((n) => n + 1)}
      />
      <StatsPanel module={name} versions={items} refresh={refresh} />
      <ImprovementRunsPanel module={name} versions={items} refresh={refresh} />
      <InvokePanel module={name} />
      {session.can('submit') ? (
        <SubmitPanel module={name} onSubmitted={() => setRefresh((n) => n + 1)} />
      ) : null}
      {session.can('improve') ? <ImprovePanel module={name} /> : null}
      {module.data ? (
        <SettingsPanel
          module={name}
          settings={module.data.settings}
          onSaved={() => setRefresh((n) => n + 1)}
        />
      ) : null}
    </>
  );
}
