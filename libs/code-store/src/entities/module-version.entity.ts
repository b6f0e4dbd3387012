import type { CaseFixtures } from '../case-fixtures.js';
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
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import type { Role } from '@seed/config';
import type { ModuleEntity } from './module.entity.js';

export const VERSION_STATUSES = [
  'queued',
  'compiling',
  'testing',
  /** Passed and stored, asked to activate: the decision is being taken (never shown as `ready`). */
  'activating',
  'ready',
  /** Serving a share of the calls under a rollout, beside the active version. */
  'canary',
  'active',
  'retired',
  'rejected',
  'superseded',
] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/** Who wrote a version: a token's role, or the platform itself. */
export type AuthorRole = Role | 'system';
// Exhaustive, so a new token role does not compile until it is listed here, and then a migration widens
// module_versions_author_role_check (the schema-diff test compares checks by name only).
const AUTHOR_ROLE_SET: Record<AuthorRole, true> = { admin: true, agent: true, viewer: true, system: true };
export const AUTHOR_ROLES = Object.keys(AUTHOR_ROLE_SET) as AuthorRole[];

/** A test case carried by a version (see `goalCases`); the shape of a new suite case. */
export interface GoalCase {
  name: string;
  input: unknown;
  expected?: unknown;
  hasExpected: boolean;
  smoke?: boolean;
  hidden?: boolean;
  evaluator?: CaseEvaluator | null;
  /** what its capability calls get in the pipeline (docs/capabilities.md) */
  fixtures?: CaseFixtures | null;
}

/** A case judged by an evaluator: its module, the pinned version, and the score (0..1) it must reach. */
export interface CaseEvaluator {
  module: string;
  versionId: string;
  threshold: number;
}

/** What an evaluator returns for `{input, output, expected?}`. */
export interface EvaluatorVerdict {
  score: number;
  reason: string;
}

export interface Diagnostic {
  stage: 'compile' | 'validate' | 'test' | 'activate';
  message: string;
  line?: number;
  column?: number;
  case?: string;
  input?: unknown;
  expected?: unknown;
  actual?: unknown;
}

/** What capability calls (served by fixtures or a replay's transcript) a case run, or a version's runs, made. */
export interface CapabilityUsage {
  /** Every call that was answered, of any capability. */
  calls: number;
  fetches: number;
  modelCalls: number;
  /** What the model answers reported (a fixture's `tokens`, a transcript's recorded usage). */
  modelTokens: number;
}

export interface CaseResult {
  name: string;
  /** `hidden` results carry no input, expectation, output, message or logs: only whether they passed. */
  kind: 'case' | 'replay' | 'hidden';
  passed: boolean;
  latencyMs: number;
  input?: unknown;
  expected?: unknown;
  actual?: unknown;
  error?: { code: string; message: string; line?: number };
  logs?: string[];
  /** An evaluator's verdict, for a case it judged. */
  evaluation?: EvaluatorVerdict;
  /** Its capability calls, when it made any (a held-out case keeps these counts too, as its latency). */
  usage?: CapabilityUsage;
  /** Input, expectation, output, message and logs left out to keep the report within its bound. */
  detailsOmitted?: true;
}

/** Values in cases and diagnostics are previews (see preview.ts): a large one is its beginning and size. */
export interface TestReport {
  cases: CaseResult[];
  passed: number;
  failed: number;
  /** Set when the report was cut to its bound: the full report's size and the cases left out at the end. */
  truncated?: true;
  bytes?: number;
  omittedCases?: number;
}

/** The cascade's stages, in order; a version records the last one it reached. */
export const CASCADE_STAGES = [
  'compile',
  'validate',
  'smoke',
  'visible',
  'hidden',
  'replay',
  'evaluators',
  'policy',
] as const;
export type CascadeStage = (typeof CASCADE_STAGES)[number];

/** Passed out of total for one group of cases. */
export interface CaseTally {
  passed: number;
  total: number;
}

/**
 * A version's score record (kept as JSON: older rows carry only the first four fields). `visible` and `hidden`
 * count cases apart, so a hidden case shows only as a number; latency is over the case runs that completed.
 */
export interface VersionScore {
  passed: number;
  total: number;
  ratio: number;
  medianLatencyMs: number;
  visible?: CaseTally;
  hidden?: CaseTally;
  replay?: CaseTally;
  p95LatencyMs?: number;
  sourceBytes?: number;
  /** Capability calls per case run (the mean over the runs counted): what an objective's cost term weighs. */
  capabilityCalls?: number;
  /** The capability calls of every case run counted, in total. */
  capabilityUsage?: CapabilityUsage;
  /** The last stage the cascade reached: where it failed, or the last one it passed. */
  stageReached?: CascadeStage;
  /** The module's objective applied to this score when it was recorded. */
  utility?: number;
}

@Entity({ name: 'module_versions' })
@Unique('module_versions_module_id_seq_key', ['moduleId', 'seq'])
@Unique('module_versions_idempotency_scope_key', ['moduleId', 'idempotencyActor', 'idempotencyKey'])
@Index('module_versions_status_idx', ['status'])
@Check('module_versions_status_check', `status IN (${VERSION_STATUSES.map((s) => `'${s}'`).join(',')})`)
@Check('module_versions_author_role_check', `author_role IN (${AUTHOR_ROLES.map((r) => `'${r}'`).join(',')})`)
export class ModuleVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'module_id', type: 'uuid' })
  moduleId!: string;

  @ManyToOne('ModuleEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'module_versions_module_id_fkey' })
  module?: Relation<ModuleEntity>;

  @Column({ type: 'int' })
  seq!: number;

  /** The version this candidate improves on; activation is a compare-and-swap on it. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @ManyToOne('ModuleVersionEntity', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'module_versions_parent_id_fkey' })
  parent?: Relation<ModuleVersionEntity>;

  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'text', nullable: true })
  compiled!: string | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  @Column({ type: 'text' })
  status!: VersionStatus;

  /** `role:name` as shown to people; the role is `authorRole`, never parsed back out of this. */
  @Column({ type: 'text' })
  author!: string;

  /** What the gates decide on (e.g. requireApproval holds agents' versions). */
  @Column({ name: 'author_role', type: 'text' })
  authorRole!: AuthorRole;

  @Column({ type: 'text', nullable: true })
  rationale!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  diagnostics!: Diagnostic[] | null;

  @Column({ name: 'test_report', type: 'jsonb', nullable: true })
  testReport!: TestReport | null;

  @Column({ type: 'jsonb', nullable: true })
  score!: VersionScore | null;

  /** The submitter asked for activation once the gates pass. */
  @Column({ name: 'activate_requested', type: 'boolean', default: false })
  activateRequested!: boolean;

  /** Gates run and the report is kept, but the version can never be activated. */
  @Column({ name: 'dry_run', type: 'boolean', default: false })
  dryRun!: boolean;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /**
   * Cases of a goal the active version does not meet yet (an improvement's): this version is tested on them
   * too, and they join the module's suite when it is activated.
   */
  @Column({ name: 'goal_cases', type: 'jsonb', default: () => "'[]'" })
  goalCases!: GoalCase[];
  /** Whose key it is (`role:name`): keys are scoped by actor and module. */
  @Column({ name: 'idempotency_actor', type: 'text', nullable: true })
  idempotencyActor!: string | null;

  /** sha256 of the submitted request: the same key with another body is a conflict, not a replay. */
  @Column({ name: 'request_sha256', type: 'text', nullable: true })
  requestSha256!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
