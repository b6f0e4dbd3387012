import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  UpdateDateColumn,
} from 'typeorm';
import type { AnalysisSettings, OnInconclusive } from '@seed/rollout';
import type { ModuleEntity } from './module.entity.js';

export const ROLLOUT_STATUSES = [
  'running',
  'paused',
  'watching',
  'promoted',
  'rolled_back',
  'aborted',
] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
/**
 * `rollout`: a version's share of the calls moved through steps. `watch`: the analysis after an activation, at
 * weight 100 against the predecessor's counts from before the switch (status `watching` while it runs).
 */
export const ROLLOUT_KINDS = ['rollout', 'watch'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];
/** A rollout still in progress: at most one per module (a partial unique index). */
export const OPEN_ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'paused'];

@Entity({ name: 'rollouts' })
@Index('rollouts_module_idx', ['moduleId', 'createdAt'])
@Index('rollouts_module_open_idx', ['moduleId'], {
  unique: true,
  where: `status IN ('running', 'paused')`,
})
@Check('rollouts_status_check', `status IN (${ROLLOUT_STATUSES.map((s) => `'${s}'`).join(',')})`)
@Check('rollouts_kind_check', `kind IN (${ROLLOUT_KINDS.map((s) => `'${s}'`).join(',')})`)
export class RolloutEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'module_id', type: 'uuid' })
  moduleId!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'rollouts_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  /** the canary */
  @Column({ name: 'version_id', type: 'uuid' })
  versionId!: string;

  /** the version active when the rollout started, which keeps the rest of the traffic */
  @Column({ name: 'stable_version_id', type: 'uuid' })
  stableVersionId!: string;

  @Column({ type: 'text' })
  status!: RolloutStatus;

  @Column({ type: 'text', default: 'rollout' })
  kind!: RolloutKind;

  /** the canary's weight at each step, percent */
  @Column({ type: 'jsonb' })
  steps!: number[];

  /** index into `steps` of the step under analysis */
  @Column({ type: 'integer', default: 0 })
  step!: number;

  /** the weight nodes route with: `steps[step]` while running or paused, 0 once aborted or rolled back */
  @Column({ type: 'double precision' })
  weight!: number;

  @Column({ name: 'interval_ms', type: 'integer' })
  intervalMs!: number;

  @Column({ type: 'jsonb' })
  analysis!: AnalysisSettings;

  @Column({ name: 'on_inconclusive', type: 'text' })
  onInconclusive!: OnInconclusive;

  /** failed step analyses so far */
  @Column({ type: 'integer', default: 0 })
  failures!: number;

  /** when the current step's interval began (reset on resume) */
  @Column({ name: 'step_started_at', type: 'timestamptz' })
  stepStartedAt!: Date;

  /** the highest analyser fencing token that decided for this rollout: an older lease holder cannot decide */
  @Column({ type: 'bigint', default: 0 })
  fence!: string;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
