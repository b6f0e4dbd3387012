import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  Relation,
  UpdateDateColumn,
} from 'typeorm';
import type { ModuleEntity } from './module.entity.js';

/** One `ctx.kv` entry: per module (every version and node shares it), so a rollback does not undo writes. */
@Entity({ name: 'module_state' })
@Index('module_state_expires_idx', ['expiresAt'], { where: 'expires_at IS NOT NULL' })
export class ModuleStateEntity {
  @PrimaryColumn({ name: 'module_id', type: 'uuid', primaryKeyConstraintName: 'module_state_pkey' })
  moduleId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'module_state_pkey' })
  key!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'module_state_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  @Column({ type: 'jsonb' })
  value!: unknown;

  /** UTF-8 bytes of key and value's JSON: what the module's quota counts */
  @Column({ type: 'integer' })
  bytes!: number;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
