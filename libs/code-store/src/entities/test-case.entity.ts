import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'module_test_cases' })
export class TestCaseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'module_id', type: 'uuid' })
  moduleId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  input!: unknown;

  /** Whether `expected` holds an expectation; without one the case only must not throw (JSON null is a valid expectation). */
  @Column({ name: 'has_expected', type: 'boolean' })
  hasExpected!: boolean;

  @Column({ type: 'jsonb', nullable: true })
  expected!: unknown;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
