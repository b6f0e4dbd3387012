import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  UpdateDateColumn,
} from 'typeorm';
import type { ModuleVersionEntity } from './module-version.entity.js';
import type { ModuleSettings } from '../module-settings.js';

export type ModuleKind = 'module' | 'evaluator';

// Constraints are declared here as in the migration, so `migration:generate` finds no difference.
@Entity({ name: 'modules' })
@Check('modules_name_check', `name ~ '^[a-z][a-z0-9-]{0,62}$'`)
@Check('modules_kind_check', `kind IN ('module','evaluator')`)
export class ModuleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  /** The truth about which version serves; version statuses follow it in the same transaction. */
  @Column({ name: 'active_version_id', type: 'uuid', nullable: true })
  activeVersionId!: string | null;

  @ManyToOne('ModuleVersionEntity', {
    onDelete: 'SET NULL',
    deferrable: 'INITIALLY DEFERRED',
    createForeignKeyConstraints: true,
  })
  @JoinColumn({ name: 'active_version_id', foreignKeyConstraintName: 'modules_active_version_fk' })
  activeVersion?: Relation<ModuleVersionEntity>;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  settings!: ModuleSettings;

  /** `evaluator` (set by an admin at creation): judges other modules' cases; agents never submit to it. */
  @Column({ type: 'text', default: 'module' })
  kind!: ModuleKind;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
