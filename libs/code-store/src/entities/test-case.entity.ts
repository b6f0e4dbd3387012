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

  /** what the case's capability calls get in the pipeline; null: none (every capability call is unexpected) */
  @Column({ type: 'jsonb', nullable: true })
  fixtures!: CaseFixtures | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
