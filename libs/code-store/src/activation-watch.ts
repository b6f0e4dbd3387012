import type { AnalysisSettings } from '@seed/rollout';
import type { EntityManager } from 'typeorm';
import type { ModuleVersionEntity } from './entities/module-version.entity.js';
import type { ModuleEntity } from './entities/module.entity.js';

/** How the switch to a new version is watched: its analysis at weight 100 over `intervalMs`. */
export interface WatchPlan {
  intervalMs: number;
  analysis: AnalysisSettings;
}

/** Decides, inside the activation, whether and how the new version is watched (null: not watched). */
export type WatchPlanner = (module: ModuleEntity, target: ModuleVersionEntity) => WatchPlan | null;

/**
 * In the activation's transaction (the module row is locked, so activations of a module are serial and at most
 * one watch is open): ends the module's open watch, recording why as its last decision, and starts the new
 * version's watch against its predecessor. One statement, so an activation costs one round trip more.
 */
export async function replaceWatch(
  em: EntityManager,
  input: {
    moduleId: string;
    versionId: string;
    stableVersionId: string;
    reason: string;
    actor: string;
    plan: WatchPlan | null;
  },
): Promise<void> {
  const { moduleId, versionId, stableVersionId, reason, actor, plan } = input;
  await em.query(
    `WITH ended AS (
       UPDATE rollouts SET status = 'aborted', ended_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE module_id = $1 AND status = 'watching'
       RETURNING id, step, weight
     ), noted AS (
       INSERT INTO rollout_decisions (rollout_id, seq, step, weight, verdict, reason, action, actor)
       SELECT e.id, COALESCE((SELECT MAX(d.seq) FROM rollout_decisions d WHERE d.rollout_id = e.id), 0) + 1,
              e.step, e.weight, NULL, $2, 'abort', $3
         FROM ended e
     )
     INSERT INTO rollouts (module_id, version_id, stable_version_id, status, kind, steps, step, weight,
                           interval_ms, analysis, on_inconclusive, failures, step_started_at, actor)
     SELECT $1, $4, $5, 'watching', 'watch', '[100]'::jsonb, 0, 100, $6, $7::jsonb, 'promote', 0,
            clock_timestamp(), $3
      WHERE $8::boolean`,
    [
      moduleId,
      `activation:${reason}`,
      actor,
      versionId,
      stableVersionId,
      plan?.intervalMs ?? 0,
      JSON.stringify(plan?.analysis ?? {}),
      plan !== null,
    ],
  );
}
