import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import type { GoalCase } from './module-version.entity.js';
import type { ModuleEntity } from './module.entity.js';

export type ParentSelection = 'active' | 'archive';
export type EditMode = 'diff' | 'rewrite' | 'auto';
export type RunState = 'running' | 'finished';
/** `job_lost`: its queue job vanished or ended while the run ran (ImprovementSweeper). */
export type RunStopReason =
  'solved' | 'budget' | 'rounds' | 'no_progress' | 'cancelled' | 'disabled' | 'failed' | 'job_lost';

/** A run's options as requested (with defaults applied). */
export interface RunOptions {
  rounds: number;
  candidatesPerRound: number;
  parentSelection: ParentSelection;
  edit: EditMode;
  budget: { maxTokens: number; maxCostUsd: number; maxMs: number };
  model: string;
}

/** An improvement run (POST /modules/:name/improve): rounds of candidates, until a stop reason. */
@Entity({ name: 'improvement_runs' })
@Index('improvement_runs_module_created_idx', ['moduleId', 'createdAt'])
/** One running run per module: starts race on this index, not on a read. */
@Index('improvement_runs_one_running_idx', ['moduleId'], { unique: true, where: `state = 'running'` })
export class ImprovementRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'module_id', type: 'uuid' })
  moduleId!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'improvement_runs_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  @Column({ type: 'text' })
  goal!: string;

  /** The run's goal cases: they join the suite only with a candidate that is activated. */
  @Column({ name: 'goal_cases', type: 'jsonb', default: () => "'[]'" })
  goalCases!: GoalCase[];

  @Column({ type: 'jsonb' })
  options!: RunOptions;

  @Column({ type: 'text', default: 'running' })
  state!: RunState;

  @Column({ name: 'stop_reason', type: 'text', nullable: true })
  stopReason!: RunStopReason | null;

  @Column({ name: 'rounds_done', type: 'int', default: 0 })
  roundsDone!: number;

  @Column({ type: 'int', default: 0 })
  tokens!: number;

  @Column({ name: 'cost_usd', type: 'double precision', default: 0 })
  costUsd!: number;

  @Column({ name: 'cancel_requested', type: 'boolean', default: false })
  cancelRequested!: boolean;

  /** The version the run made live, if any. */
  @Column({ name: 'activated_version_id', type: 'uuid', nullable: true })
  activatedVersionId!: string | null;

  @Column({ name: 'requested_by', type: 'text' })
  requestedBy!: string;

  @Column({ name: 'job_id', type: 'text', nullable: true })
  jobId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}

/** How a candidate ended, before or after the pipeline. */
export type CandidateStatus =
  | 'generating'
  | 'evaluating'
  | 'ready'
  | 'active'
  | 'rejected'
  | 'superseded'
  | 'duplicate'
  | 'edit_failed'
  | 'invalid_output'
  /** Not generated: the run's token budget had nothing left for its model call. */
  | 'skipped';

/** One candidate of one round: its parent and why, its prompt, model, usage, version, score and decision. */
@Entity({ name: 'improvement_candidates' })
@Index('improvement_candidates_run_idx', ['runId', 'round', 'index'])
@Index('improvement_candidates_parent_idx', ['parentVersionId'])
export class ImprovementCandidateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @ManyToOne('ImprovementRunEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'improvement_candidates_run_id_fkey' })
  run?: Relation<ImprovementRunEntity>;

  @Column({ type: 'int' })
  round!: number;

  @Column({ type: 'int' })
  index!: number;

  @Column({ name: 'parent_version_id', type: 'uuid', nullable: true })
  parentVersionId!: string | null;

  @Column({ name: 'parent_why', type: 'text' })
  parentWhy!: string;

  /** `diff` or `rewrite`: what the model's answer was (or was turned into after a failed diff). */
  @Column({ name: 'edit_kind', type: 'text', nullable: true })
  editKind!: 'diff' | 'rewrite' | null;

  /** The full prompt (system and user): admins only. */
  @Column({ type: 'text' })
  prompt!: string;

  @Column({ type: 'text' })
  model!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  usage!: { inputTokens?: number; outputTokens?: number };

  @Column({ name: 'cost_usd', type: 'double precision', default: 0 })
  costUsd!: number;

  @Column({ name: 'version_id', type: 'uuid', nullable: true })
  versionId!: string | null;

  @Column({ name: 'normalised_sha256', type: 'text', nullable: true })
  normalisedSha256!: string | null;

  @Column({ type: 'text' })
  status!: CandidateStatus;

  @Column({ type: 'double precision', nullable: true })
  utility!: number | null;

  /** What the run decided about it (activated, held, not the best, …) and why. */
  @Column({ type: 'text', nullable: true })
  decision!: string | null;

  /** What the next prompt says about it (never a hidden case's details: the cascade keeps counts only). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  feedback!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
