import type { AnalysisSettings } from '@seed/rollout';
import type { EntityManager } from 'typeorm';
import type { ActivationReason } from './entities/activation.entity.js';
import type { ModuleVersionEntity } from './entities/module-version.entity.js';
import type { ModuleEntity } from './entities/module.entity.js';

/** How the switch to a new version is watched: its analysis at weight 100 over `intervalMs`. */
export interface WatchPlan {
  intervalMs: number;
  analysis: AnalysisSettings;
}

/** Decides, inside the activation, whether and how the new version is watched (null: not watched). */
export type WatchPlanner = (module: ModuleEntity, target: ModuleVersionEntity) => WatchPlan | null;

/** A rollout the activation ended: nodes stop splitting its traffic when told. */
export interface AbortedRollout {
  id: string;
  versionId: string;
  step: number;
}

export interface VersionSwitch {
  moduleId: string;
  versionId: string;
  /** the version active until now (null: the module's first activation) */
  fromVersionId: string | null;
  reason: ActivationReason;
  actor: string;
  /** false when the version is already active: only the open rollout is ended */
  switch: boolean;
  plan: WatchPlan | null;
}

/**
 * In the activation's transaction (the module row is locked, so activations of a module are serial): both ends
 * of the swap, the module's pointer, the activations row, the end of the open watch and — for any activation but
 * a rollout's own promotion — of the open rollout (each recorded with a last decision `activation:<reason>`, its
 * canary ready again), and the new version's watch against its predecessor. One statement, one round trip.
 */
export async function switchVersion(em: EntityManager, input: VersionSwitch): Promise<AbortedRollout[]> {
  const { moduleId, versionId, fromVersionId, reason, actor, plan } = input;
  const rows: Array<{ id: string; version_id: string; step: number }> = await em.query(
    `WITH swapped AS (
       UPDATE module_versions SET status = CASE WHEN id = $2::uuid THEN 'active' ELSE 'retired' END,
              updated_at = CURRENT_TIMESTAMP
        WHERE $6::boolean AND (id = $2::uuid OR id = $3::uuid)
     ), pointed AS (
       UPDATE modules SET active_version_id = $2::uuid, updated_at = CURRENT_TIMESTAMP WHERE $6::boolean AND id = $1::uuid
     ), logged AS (
       INSERT INTO activations (module_id, from_version_id, to_version_id, reason, actor)
       SELECT $1::uuid, $3::uuid, $2::uuid, $4::text, $5::text WHERE $6::boolean
     ), ended AS (
       UPDATE rollouts r SET status = 'aborted',
              weight = CASE WHEN r.kind = 'rollout' THEN 0 ELSE r.weight END,
              ended_at = clock_timestamp(), updated_at = clock_timestamp()
         FROM rollouts o
        WHERE o.id = r.id AND r.module_id = $1::uuid
          AND ((r.status = 'watching' AND $6::boolean)
               OR (r.kind = 'rollout' AND r.status IN ('running', 'paused') AND $4::text <> 'rollout'))
       RETURNING r.id, r.kind, r.version_id, r.step, o.weight
     ), noted AS (
       INSERT INTO rollout_decisions (rollout_id, seq, step, weight, verdict, reason, action, actor)
       SELECT e.id, COALESCE((SELECT MAX(d.seq) FROM rollout_decisions d WHERE d.rollout_id = e.id), 0) + 1,
              e.step, e.weight, NULL, 'activation:' || $4::text, 'abort', $5::text
         FROM ended e
     ), readied AS (
       UPDATE module_versions SET status = 'ready', updated_at = CURRENT_TIMESTAMP
        WHERE status = 'canary' AND id <> $2::uuid AND id IS DISTINCT FROM $3::uuid
          AND id IN (SELECT version_id FROM ended WHERE kind = 'rollout')
     ), watched AS (
       INSERT INTO rollouts (module_id, version_id, stable_version_id, status, kind, steps, step, weight,
                             interval_ms, analysis, on_inconclusive, failures, step_started_at, actor)
       SELECT $1::uuid, $2::uuid, $3::uuid, 'watching', 'watch', '[100]'::jsonb, 0, 100, $7, $8::jsonb, 'promote', 0,
              clock_timestamp(), $5::text
        WHERE $6::boolean AND $9::boolean AND $3::uuid IS NOT NULL
     )
     SELECT id, version_id, step FROM ended WHERE kind = 'rollout'`,
    [
      moduleId,
      versionId,
      fromVersionId,
      reason,
      actor,
      input.switch,
      plan?.intervalMs ?? 0,
      JSON.stringify(plan?.analysis ?? {}),
      plan !== null,
    ],
  );
  return rows.map((r) => ({ id: r.id, versionId: r.version_id, step: r.step }));
}
