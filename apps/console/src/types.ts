/** What the console reads from the REST API (apps/seed-agent/src/http/views.ts). */

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface ModuleSummary {
  name: string;
  activeVersionId: string | null;
  activeSeq?: number | null;
  settings: Record<string, unknown>;
  versions?: Record<string, number>;
  createdAt: string;
  updatedAt: string;
}

export interface VersionSummary {
  id: string;
  seq: number;
  status: string;
  parentId: string | null;
  author: string;
  rationale: string | null;
  score: Record<string, unknown> | null;
  dryRun: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Diagnostic {
  stage: string;
  message: string;
  line?: number;
  column?: number;
  case?: string;
  input?: unknown;
  expected?: unknown;
  actual?: unknown;
}

export interface VersionDetail extends VersionSummary {
  source: string;
  sha256: string;
  activateRequested: boolean;
  diagnostics: Diagnostic[] | null;
  testReport: unknown;
}

export interface Activation {
  fromVersionId: string | null;
  toVersionId: string;
  reason: string;
  actor: string;
  createdAt: string;
}

export interface TestCase {
  name: string;
  input: unknown;
  expect?: unknown;
  createdBy: string;
  createdAt: string;
}

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  count: number;
  details: unknown;
  createdAt: string;
}

export interface ClusterView {
  self: string;
  nodes: Array<{
    name: string;
    region?: string;
    address?: string;
    lastSeenMs: number;
    serviceVersion: string;
    startedAt: string;
    modules: Array<{ name: string; current: string | null; old?: string; behind: boolean | null }>;
  }>;
  active: Record<string, { versionId: string; seq: number }> | null;
  degraded: string[];
  dns?: { query: string; resolvedAt?: string; error?: string };
  missing?: string[];
  unexpected?: Array<{ name: string; address: string | null }>;
}

export interface RolloutDecision {
  seq: number;
  step: number;
  weight: number;
  verdict: string | null;
  reason: string;
  action: string;
  observed: Record<string, unknown> | null;
  thresholds: Record<string, unknown> | null;
  actor: string | null;
  at: string;
}

export interface Rollout {
  id: string;
  versionId: string;
  stableVersionId: string | null;
  status: string;
  steps: number[];
  step: number;
  weight: number;
  intervalMs: number;
  failures: number;
  actor: string | null;
  createdAt: string;
  endedAt: string | null;
  decisions: RolloutDecision[];
}

export interface Counters {
  calls: number;
  faults: number;
  errorRate: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface ModuleStats {
  windowMs: number;
  intervalMs: number;
  versions: Array<{
    versionId: string;
    role: 'stable' | 'canary';
    total: Counters;
    intervals: Array<Counters & { at: string }>;
  }>;
}

export interface ImprovementCandidate {
  id: string;
  index: number;
  parentVersionId: string | null;
  parentWhy: string | null;
  editKind: string | null;
  model: string | null;
  costUsd: number | null;
  versionId: string | null;
  status: string;
  utility: number | null;
  decision: string | null;
  feedback: string[] | null;
  prompt?: unknown;
}

export interface ImprovementRun {
  id: string;
  goal: string;
  state: string;
  stopReason: string | null;
  roundsDone: number;
  tokens: number;
  costUsd: number | null;
  cancelRequested: boolean;
  requestedBy: string | null;
  createdAt: string;
  rounds?: Array<{ round: number; candidates: ImprovementCandidate[] }>;
}

export interface QueueCounts {
  name: string;
  depth: number;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}
