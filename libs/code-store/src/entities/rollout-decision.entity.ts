import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  Unique,
} from 'typeorm';
import type { AnalysisSettings, Observed, RolloutAction, Verdict } from '@seed/rollout';
import type { RolloutEntity } from './rollout.entity.js';

export const DECISION_VERDICTS = ['advance', 'promote', 'hold', 'rollback', 'inconclusive'] as const;
export const DECISION_ACTIONS = [
  'advance',
  'promote',
  'hold',
  'rollback',
  'pause',
  'resume',
  'abort',
] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number] & (RolloutAction | 'resume');

/**
 * One decision about a rollout: the analyser's (verdict, the observed values and the thresholds they were held
 * to) or a person's (no verdict). `seq` numbers them per rollout; its uniqueness is why no step is decided twice.
 */
@Entity({ name: 'rollout_decisions' })
@Unique('rollout_decisions_seq_key', ['rolloutId', 'seq'])
@Check(
  'rollout_decisions_verdict_check',
  `verdict IS NULL OR verdict IN (${DECISION_VERDICTS.map((s) => `'${s}'`).join(',')})`,
)
@Check('rollout_decisions_action_check', `action IN (${DECISION_ACTIONS.map((s) => `'${s}'`).join(',')})`)
export class RolloutDecisionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'rollout_id', type: 'uuid' })
  rolloutId!: string;

  @ManyToOne('RolloutEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'rollout_id', foreignKeyConstraintName: 'rollout_decisions_rollout_id_fkey' })
  rollout?: Relation<RolloutEntity>;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'integer' })
  step!: number;

  @Column({ type: 'double precision' })
  weight!: number;

  @Column({ type: 'text', nullable: true })
  verdict!: Verdict | null;

  /** why: the verdict's reason (`too_few_calls`, `error_rate_delta`, ...) or a person's action (`manual`) */
  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'text' })
  action!: DecisionAction;

  @Column({ type: 'jsonb', nullable: true })
  observed!: Observed | null;

  @Column({ type: 'jsonb', nullable: true })
  thresholds!: AnalysisSettings | null;

  /** `node:<id>` for the analyser, `role:name` for a person */
  @Column({ type: 'text' })
  actor!: string;

  @CreateDateColumn({ name: 'at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  at!: Date;
}
