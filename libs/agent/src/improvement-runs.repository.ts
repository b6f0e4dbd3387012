import { Injectable } from '@nestjs/common';
import {
  ImprovementCandidateEntity,
  ImprovementRunEntity,
  type ModuleSettings,
  type RunStopReason,
  type VersionScore,
} from '@seed/code-store';
import { utility } from '@seed/hot-reload';
import { DataSource, IsNull, LessThan, Not, QueryFailedError } from 'typeorm';
import type { ArchiveEntry } from './parent-selection.js';

/** How many of a module's newest evaluated versions the archive holds. */
const ARCHIVE_LIMIT = 200;

/** The partial unique index that lets a module have one running run (migration 1764610000000). */
const ONE_RUNNING_INDEX = 'improvement_runs_one_running_idx';

/** Improvement runs and candidates in PostgreSQL, and the module's archive as parent selection sees it. */
@Injectable()
export class ImprovementRunsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get runs() {
    return this.dataSource.getRepository(ImprovementRunEntity);
  }

  private get candidates() {
    return this.dataSource.getRepository(ImprovementCandidateEntity);
  }

  async create(run: Partial<ImprovementRunEntity>): Promise<ImprovementRunEntity> {
    return this.runs.save(this.runs.create(run));
  }

  /**
   * Inserts a running run, unless its module has one running already: then null. The partial unique index
   * decides, so of two starts at once exactly one wins, on any node.
   */
  async insertRunning(run: Partial<ImprovementRunEntity>): Promise<ImprovementRunEntity | null> {
    try {
      const inserted = await this.runs.insert({ ...run, state: 'running' } as never);
      return this.runs.findOneByOrFail({ id: inserted.identifiers[0].id as string });
    } catch (error) {
      const driverError =
        error instanceof QueryFailedError ? (error.driverError as { constraint?: string }) : {};
      if (driverError.constraint === ONE_RUNNING_INDEX) return null;
      throw error;
    }
  }

  /** The module's running run, if it has one. */
  async running(moduleId: string): Promise<ImprovementRunEntity | null> {
    return this.runs.findOneBy({ moduleId, state: 'running' });
  }

  /** Running runs with a queue job, started before `startedBefore`, the oldest first. */
  async runningQueued(startedBefore: Date, limit: number): Promise<ImprovementRunEntity[]> {
    return this.runs.find({
      where: { state: 'running', jobId: Not(IsNull()), createdAt: LessThan(startedBefore) },
      order: { createdAt: 'ASC' },
      take: limit,
    });
  }

  /** Takes back a run that was never queued (its start was refused after the insert). */
  async delete(id: string): Promise<void> {
    await this.runs.delete({ id });
  }

  async find(id: string): Promise<ImprovementRunEntity | null> {
    return this.runs.findOneBy({ id });
  }

  async findByJob(jobId: string): Promise<ImprovementRunEntity | null> {
    return this.runs.findOneBy({ jobId });
  }

  async update(id: string, patch: Partial<ImprovementRunEntity>): Promise<void> {
    await this.runs.update({ id }, patch as never);
  }

  async listForModule(moduleId: string, limit: number, offset: number) {
    const [items, total] = await this.runs.findAndCount({
      where: { moduleId },
      order: { createdAt: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }

  async candidatesOf(runId: string): Promise<ImprovementCandidateEntity[]> {
    return this.candidates.find({ where: { runId }, order: { round: 'ASC', index: 'ASC' } });
  }

  async addCandidate(candidate: Partial<ImprovementCandidateEntity>): Promise<ImprovementCandidateEntity> {
    return this.candidates.save(this.candidates.create(candidate));
  }

  async updateCandidate(id: string, patch: Partial<ImprovementCandidateEntity>): Promise<void> {
    await this.candidates.update({ id }, patch as never);
  }

  /**
   * Ends a running run as `failed` (its job failed for good: the job's failedReason says why) or `job_lost`;
   * false if it was not running. Conditional, so of callers on several nodes at once one ends it.
   */
  async fail(id: string, reason: Extract<RunStopReason, 'failed' | 'job_lost'> = 'failed'): Promise<boolean> {
    const result = await this.runs.update(
      { id, state: 'running' },
      { state: 'finished', stopReason: reason, finishedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Only a running run can be asked to stop; true when it was. */
  async requestCancel(id: string): Promise<boolean> {
    const result = await this.runs.update({ id, state: 'running' }, { cancelRequested: true });
    return (result.affected ?? 0) > 0;
  }

  /** What every run of the module has spent since the start of the UTC day `dayStart`. */
  async costSince(moduleId: string, dayStart: Date): Promise<number> {
    const rows: Array<{ cost: number | null }> = await this.dataSource.query(
      `SELECT sum(c.cost_usd)::float8 AS cost FROM improvement_candidates c
         JOIN improvement_runs r ON r.id = c.run_id
        WHERE r.module_id = $1 AND c.created_at >= $2`,
      [moduleId, dayStart],
    );
    return rows[0]?.cost ?? 0;
  }

  /**
   * Every evaluated version of the module (it has a score) with its utility under the module's objective and
   * its children: the versions made from it, by anyone.
   */
  async archive(moduleId: string, settings: ModuleSettings): Promise<ArchiveEntry[]> {
    const rows: Array<{ id: string; seq: number; score: VersionScore; children: number }> =
      await this.dataSource.query(
        `SELECT v.id, v.seq, v.score,
                (SELECT count(*)::int FROM module_versions c WHERE c.parent_id = v.id) AS children
           FROM module_versions v
          WHERE v.module_id = $1 AND v.score IS NOT NULL AND v.dry_run = false
          ORDER BY v.seq DESC LIMIT $2`,
        [moduleId, ARCHIVE_LIMIT],
      );
    return rows.map((r) => ({
      versionId: r.id,
      seq: r.seq,
      utility: utility(r.score, settings.objective),
      children: r.children,
    }));
  }

  /** The seq of each of these versions, by id. */
  async versionSeqs(ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ id: string; seq: number }> = await this.dataSource.query(
      `SELECT id, seq FROM module_versions WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.seq]));
  }

  /** Sources of the module's newest versions, for the duplicate check. */
  async recentSources(moduleId: string): Promise<Array<{ id: string; seq: number; source: string }>> {
    return this.dataSource.query(
      `SELECT id, seq, source FROM module_versions WHERE module_id = $1 ORDER BY seq DESC LIMIT $2`,
      [moduleId, ARCHIVE_LIMIT],
    );
  }
}
