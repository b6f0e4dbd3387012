import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  Unique,
} from 'typeorm';
import type { CaseEvaluator } from './module-version.entity.js';
import type { CaseFixtures } from '../case-fixtures.js';
import type { ModuleEntity } from './module.entity.js';

@Entity({ name: 'module_test_cases' })
@Unique('module_test_cases_module_id_name_key', ['moduleId', 'name'])
export class TestCaseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'module_id', type: 'uuid' })
  moduleId!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'module_test_cases_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  input!: unknown;

  /** Whether `expected` holds an expectation; without one the case only must not throw (JSON null is a valid expectation). */
  @Column({ name: 'has_expected', type: 'boolean' })
  hasExpected!: boolean;

  @Column({ type: 'jsonb', nullable: true })
  expected!: unknown;

  /** One of the cascade's smoke cases, run first (when none is marked, the first 3 visible cases are). */
  @Column({ type: 'boolean', default: false })
  smoke!: boolean;

  /** Held out (admin only): never shown to the agent role or a prompt; its results count only as numbers. */
  @Column({ type: 'boolean', default: false })
  hidden!: boolean;

  /** Judged by an evaluator module's pinned version instead of `expected`. */
  @Column({ type: 'jsonb', nullable: true })
  evaluator!: CaseEvaluator | null;
  /** what the case's capability calls get in the pipeline; null: none (every capability call is unexpected) */
  @Column({ type: 'jsonb', nullable: true })
  fixtures!: CaseFixtures | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
