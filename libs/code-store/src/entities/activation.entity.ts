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
} from 'typeorm';
import type { ModuleEntity } from './module.entity.js';

export const ACTIVATION_REASONS = ['gates', 'manual', 'rollback', 'canary', 'rollout'] as const;
export type ActivationReason = (typeof ACTIVATION_REASONS)[number];

@Entity({ name: 'activations' })
@Index('activations_module_idx', ['moduleId', 'createdAt'])
@Check('activations_reason_check', `reason IN (${ACTIVATION_REASONS.map((r) => `'${r}'`).join(',')})`)
export class ActivationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'module_id', type: 'uuid' })
  moduleId!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'activations_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  @Column({ name: 'from_version_id', type: 'uuid', nullable: true })
  fromVersionId!: string | null;

  @Column({ name: 'to_version_id', type: 'uuid' })
  toVersionId!: string;

  @Column({ type: 'text' })
  reason!: ActivationReason;

  @Column({ type: 'text' })
  actor!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
