import { Injectable } from '@nestjs/common';
import {
  type DecisionAction,
  ModuleEntity,
  ModuleVersionEntity,
  OPEN_ROLLOUT_STATUSES,
  RolloutDecisionEntity,
  RolloutEntity,
  type RolloutKind,
  type RolloutStatus,
} from '@seed/code-store';
import { DataSource, In, QueryFailedError } from 'typeorm';
import { RolloutError } from './rollout.errors.js';
import type { AnalysisSettings, Observed, OnInconclusive, StepDecision, Verdict } from './rollout-verdict.js';

export interface NewRollout {
  moduleId: string;
  versionId: string;
  steps: number[];
  intervalMs: number;
  analysis: AnalysisSettings;
  onInconclusive: OnInconclusive;
  actor: string;
}

/** A decision as written: the analyser's carries a verdict, values and thresholds; a person's does not. */
export interface NewDecision {
  verdict: Verdict | null;
  reason: string;
  action: DecisionAction;
  observed?: Observed | null;
  thresholds?: AnalysisSettings | null;
  actor: string;
}

/** The analyser's verdict as it is written. */
export function verdictRecord(decision: StepDecision, actor: string): NewDecision {
  const { verdict, reason, action, observed, thresholds } = decision;
  return { verdict, reason, action, observed, thresholds, actor };
}

/** What the decision changes on the rollout; unset fields stay as they are. */
export interface RolloutChange {
  status?: RolloutStatus;
  step?: number;
  weight?: number;
  failures?: number;
  /** a new step's interval starts now (the database's clock) */
  restartInterval?: boolean;
}

/** The state a decision was taken on: the write happens only if the rollout is still in it. */
export interface Expected {
  status: readonly RolloutStatus[];
  step?: number;
  /** when that step's interval began: a held step restarts it, so a stale view of it is refused too */
  stepStartedAt?: Date;
  /** the analyser's fencing token: refused when an analyser with a newer token has decided */
  fence?: number;
}

export type RolloutWithDecisions = RolloutEntity & { decisions: RolloutDecisionEntity[] };

/** Rollouts and their decisions in PostgreSQL: the truth every node routes by and the analyser decides on. */
@Injectable()
export class RolloutRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Starts a rollout of a `ready` version against the module's active one, marking it `canary`. One open rollout
   * per module (a partial unique index, so two concurrent starts cannot both win).
   */
  async start(input: NewRollout): Promise<RolloutEntity> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const module = await em.findOne(ModuleEntity, {
          where: { id: input.moduleId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!module?.activeVersionId) {
          throw new RolloutError('invalid_rollout', 'the module has no active version to roll out against');
        }
        const open = await em.findOneBy(RolloutEntity, {
          moduleId: input.moduleId,
          status: In([...OPEN_ROLLOUT_STATUSES]),
        });
        if (open)
          throw new RolloutError('rollout_in_progress', 'the module already has a rollout in progress', {
            rolloutId: open.id,
          });
        const version = await em.findOneBy(ModuleVersionEntity, {
          id: input.versionId,
          moduleId: input.moduleId,
        });
        if (!version)
          throw new RolloutError('invalid_rollout', `version ${input.versionId} is not in this module`);
        if (version.status !== 'ready' || version.dryRun) {
          throw new RolloutError(
            'invalid_rollout',
            `version ${version.seq} has status ${version.status}${version.dryRun ? ' (dry run)' : ''}: only a ready version can be rolled out`,
          );
        }
        await em.update(ModuleVersionEntity, { id: version.id }, { status: 'canary' });
        const inserted = await em.insert(RolloutEntity, {
          moduleId: input.moduleId,
          versionId: input.versionId,
          stableVersionId: module.activeVersionId,
          status: 'running',
          steps: input.steps,
          step: 0,
          weight: input.steps[0],
          intervalMs: input.intervalMs,
          analysis: input.analysis as never,
          onInconclusive: input.onInconclusive,
          failures: 0,
          stepStartedAt: () => 'clock_timestamp()',
          actor: input.actor,
          endedAt: null,
        });
        return em.findOneByOrFail(RolloutEntity, { id: inserted.identifiers[0].id as string });
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        throw new RolloutError('rollout_in_progress', 'the module already has a rollout in progress');
      }
      throw error;
    }
  }

  async open(moduleId: string): Promise<RolloutEntity | null> {
    return this.dataSource
      .getRepository(RolloutEntity)
      .findOneBy({ moduleId, status: In([...OPEN_ROLLOUT_STATUSES]) });
  }

  /** Every open rollout, with its module's name (what nodes route by and the analyser judges). */
  async openAll(): Promise<Array<RolloutEntity & { module: ModuleEntity }>> {
    return this.dataSource.getRepository(RolloutEntity).find({
      where: { status: In([...OPEN_ROLLOUT_STATUSES]) },
      relations: { module: true },
    }) as Promise<Array<RolloutEntity & { module: ModuleEntity }>>;
  }

  /**
   * Promotions recorded but never applied: the node that decided died before the activation. A promoted rollout
   * whose version is not active and after whose end the module saw no activation at all (a later, deliberate
   * switch to another version stands).
   */
  async unappliedPromotions(): Promise<Array<{ module: string; versionId: string }>> {
    const rows: Array<{ module: string; version_id: string }> = await this.dataSource.query(
      `SELECT m.name AS module, r.version_id
         FROM rollouts r JOIN modules m ON m.id = r.module_id
        WHERE r.status = 'promoted' AND r.kind = 'rollout'
          AND m.active_version_id IS DISTINCT FROM r.version_id
          AND NOT EXISTS (SELECT 1 FROM activations a WHERE a.module_id = r.module_id AND a.created_at >= r.ended_at)`,
    );
    return rows.map((r) => ({ module: r.module, versionId: r.version_id }));
  }

  /** Every running activation watch, with its module's name (the analyser judges them). */
  async openWatches(): Promise<Array<RolloutEntity & { module: ModuleEntity }>> {
    return this.dataSource.getRepository(RolloutEntity).find({
      where: { status: 'watching' },
      relations: { module: true },
    }) as Promise<Array<RolloutEntity & { module: ModuleEntity }>>;
  }

  /**
   * Watch rollbacks recorded but never applied (the deciding node died first): the watched version is still
   * active and the module saw no activation since.
   */
  async unappliedWatchRollbacks(): Promise<Array<{ module: string; watch: RolloutEntity }>> {
    const rows: Array<{ module: string; id: string }> = await this.dataSource.query(
      `SELECT m.name AS module, r.id
         FROM rollouts r JOIN modules m ON m.id = r.module_id
        WHERE r.kind = 'watch' AND r.status = 'rolled_back'
          AND m.active_version_id = r.version_id
          AND NOT EXISTS (SELECT 1 FROM activations a WHERE a.module_id = r.module_id AND a.created_at >= r.ended_at)`,
    );
    if (!rows.length) return [];
    const watches = await this.dataSource
      .getRepository(RolloutEntity)
      .findBy({ id: In(rows.map((r) => r.id)) });
    return rows.flatMap((r) => {
      const watch = watches.find((w) => w.id === r.id);
      return watch ? [{ module: r.module, watch }] : [];
    });
  }

  async get(id: string): Promise<RolloutEntity | null> {
    return this.dataSource.getRepository(RolloutEntity).findOneBy({ id });
  }

  /** Newest first, each with its decisions in order. */
  async history(
    moduleId: string,
    limit: number,
    offset: number,
    kind: RolloutKind = 'rollout',
  ): Promise<{ items: RolloutWithDecisions[]; total: number }> {
    const [rollouts, total] = await this.dataSource.getRepository(RolloutEntity).findAndCount({
      where: { moduleId, kind },
      order: { createdAt: 'DESC' },
      take: limit,
      skip: offset,
    });
    const decisions = rollouts.length
      ? await this.dataSource.getRepository(RolloutDecisionEntity).find({
          where: { rolloutId: In(rollouts.map((r) => r.id)) },
          order: { seq: 'ASC' },
        })
      : [];
    const items = rollouts.map((r) => ({ ...r, decisions: decisions.filter((d) => d.rolloutId === r.id) }));
    return { items, total };
  }

  /**
   * Records a decision and applies its change in one transaction, if the rollout is still in the `expected`
   * state (a compare-and-swap on status, step and fencing token): so a step is decided once, whoever asks.
   * Returns the updated rollout and the decision, or null when the state had moved on.
   */
  async decide(
    rolloutId: string,
    expected: Expected,
    decision: NewDecision,
    change: RolloutChange,
  ): Promise<{ rollout: RolloutEntity; decision: RolloutDecisionEntity } | null> {
    return this.dataSource.transaction(async (em) => {
      const rollout = await em.findOne(RolloutEntity, {
        where: { id: rolloutId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!rollout || !expected.status.includes(rollout.status)) return null;
      if (expected.step !== undefined && rollout.step !== expected.step) return null;
      if (expected.stepStartedAt && rollout.stepStartedAt.getTime() !== expected.stepStartedAt.getTime())
        return null;
      if (expected.fence !== undefined && Number(rollout.fence) > expected.fence) return null;
      const last = await em
        .getRepository(RolloutDecisionEntity)
        .createQueryBuilder('d')
        .select('COALESCE(MAX(d.seq), 0)', 'max')
        .where('d.rollout_id = :id', { id: rolloutId })
        .getRawOne<{ max: number }>();
      const inserted = await em.insert(RolloutDecisionEntity, {
        rolloutId,
        seq: Number(last?.max ?? 0) + 1,
        step: rollout.step,
        weight: rollout.weight,
        verdict: decision.verdict,
        reason: decision.reason,
        action: decision.action,
        observed: decision.observed ?? null,
        thresholds: decision.thresholds ?? null,
        actor: decision.actor,
      });
      const ended = change.status !== undefined && !OPEN_ROLLOUT_STATUSES.includes(change.status);
      await em.update(
        RolloutEntity,
        { id: rolloutId },
        {
          ...(change.status !== undefined ? { status: change.status } : {}),
          ...(change.step !== undefined ? { step: change.step } : {}),
          ...(change.weight !== undefined ? { weight: change.weight } : {}),
          ...(change.failures !== undefined ? { failures: change.failures } : {}),
          ...(change.restartInterval ? { stepStartedAt: () => 'clock_timestamp()' } : {}),
          ...(expected.fence !== undefined ? { fence: String(expected.fence) } : {}),
          ...(ended ? { endedAt: () => 'clock_timestamp()' } : {}),
        },
      );
      // a canary that is not promoted is ready again (it may be rolled out or activated later)
      if (ended && change.status !== 'promoted') {
        await em.update(
          ModuleVersionEntity,
          { id: rollout.versionId, status: 'canary' },
          { status: 'ready' },
        );
      }
      const saved = await em.findOneByOrFail(RolloutDecisionEntity, {
        id: inserted.identifiers[0].id as string,
      });
      return { rollout: await em.findOneByOrFail(RolloutEntity, { id: rolloutId }), decision: saved };
    });
  }
}
