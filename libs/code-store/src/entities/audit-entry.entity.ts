import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity({ name: 'audit_log' })
@Index('audit_log_created_idx', ['createdAt', 'id'])
// NULLs are distinct: only refusals (denied_minute set) are ever merged.
@Unique('audit_log_denial_minute_key', ['actor', 'action', 'deniedMinute'])
export class AuditEntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  target!: string;

  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'jsonb', nullable: true })
  details!: Record<string, unknown> | null;

  /** How many refusals this row stands for (1 for every other action). */
  @Column({ type: 'int', default: 1 })
  count!: number;

  /** Set on refusals: the minute they are counted in. */
  @Column({ name: 'denied_minute', type: 'timestamptz', nullable: true })
  deniedMinute!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
