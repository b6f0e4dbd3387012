import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  Relation,
  UpdateDateColumn,
} from 'typeorm';
import type { ModuleEntity } from './module.entity.js';

/** A module's secret, AES-256-GCM encrypted (key id for rotation; module and name bound as associated data). */
@Entity({ name: 'module_secrets' })
export class ModuleSecretEntity {
  @PrimaryColumn({ name: 'module_id', type: 'uuid', primaryKeyConstraintName: 'module_secrets_pkey' })
  moduleId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'module_secrets_pkey' })
  name!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'module_secrets_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  /** iv (12 bytes) + tag (16 bytes) + ciphertext */
  @Column({ type: 'bytea' })
  sealed!: Buffer;

  /** origins ctx.fetch may send it to */
  @Column({ type: 'jsonb' })
  origins!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
