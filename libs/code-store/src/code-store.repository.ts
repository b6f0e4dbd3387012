import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { type AbortedRollout, switchVersion, type WatchPlanner } from './activation-switch.js';
import { assertCaseRoom, CodeStoreError } from './code-store.errors.js';
import { ActivationEntity, ActivationReason } from './entities/activation.entity.js';
import {
  AuthorRole,
  type Diagnostic,
  type GoalCase,
  ModuleVersionEntity,
  VersionStatus,
} from './entities/module-version.entity.js';
import { ModuleEntity, type ModuleKind } from './entities/module.entity.js';
import { TestCaseEntity } from './entities/test-case.entity.js';
import type { ModuleSettings } from './module-settings.js';
import { describeVersionRef, type VersionRef } from './version-ref.js';

export interface NewVersion {
  parentId: string | null;
  source: string;
  /** `role:name`, shown as is. */
  author: string;
  authorRole: AuthorRole;
  rationale?: string | null;
  activateRequested: boolean;
  dryRun: boolean;
  /** An Idempotency-Key, whose it is (`role:name`) and the hash of the request it came with. */
  idempotency?: { key: string; actor: string; requestSha256: string };
  goalCases?: NewTestCase[];
}

export type NewTestCase = GoalCase;

export interface Page {
  limit: number;
  offset: number;
}

export interface ActivationResult {
  activated: boolean;
  fromVersionId: string | null;
  toVersionId: string;
  seq: number;
  /** the module's open rollout, ended by this activation */
  abortedRollouts: AbortedRollout[];
}

export interface ActiveVersion {
  module: string;
  moduleId: string;
  versionId: string;
  seq: number;
  sha256: string;
  settings: ModuleSettings;
}

/** What a list of versions shows; the rest of a row is read one version at a time. */
const VERSION_SUMMARY_COLUMNS = [
  'id',
  'seq',
  'status',
  'parentId',
  'author',
  'rationale',
  'score',
  'dryRun',
  'activateRequested',
  'authorRole',
  'createdAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof ModuleVersionEntity>;

export type VersionSummaryRow = Pick<ModuleVersionEntity, (typeof VERSION_SUMMARY_COLUMNS)[number]>;

const PG_UNIQUE_VIOLATION = '23505';

/** The PostgreSQL seam for modules, versions, test cases and activations (audit_log: AuditRepository). */
@Injectable()
export class CodeStoreRepository {
  /** Version columns waiting for that version's next write (deferVersionUpdate). */
  private readonly deferred = new Map<string, Partial<ModuleVersionEntity>>();

  constructor(private readonly dataSource: DataSource) {}

  // ---- modules ----

  /** Creates the module, its test cases and its first version in one transaction. */
  async createModule(
    name: string,
    settings: ModuleSettings,
    tests: NewTestCase[],
    first: NewVersion,
    createdBy: string,
    maxCases: number,
    kind: ModuleKind = 'module',
  ): Promise<{ module: ModuleEntity; version: ModuleVersionEntity }> {
    assertCaseRoom(0, tests.length, maxCases);
    try {
      return await this.dataSource.transaction(async (em) => {
        const module = await em.save(
          em.create(ModuleEntity, { name, settings, activeVersionId: null, kind }),
        );
        await this.insertTests(em, module.id, tests, createdBy);
        const version = await this.insertVersion(em, module.id, first);
        return { module, version };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new CodeStoreError(
          'module_exists',
          `module ${name} already exists: submit a new version with POST /modules/${name}/versions`,
          { module: name, submitVersion: `POST /modules/${name}/versions` },
        );
      throw error;
    }
  }

  async findModule(name: string): Promise<ModuleEntity | null> {
    return this.dataSource.getRepository(ModuleEntity).findOneBy({ name });
  }

  async getModule(name: string): Promise<ModuleEntity> {
    const module = await this.findModule(name);
    if (!module) throw new CodeStoreError('module_not_found', `module ${name} does not exist`);
    return module;
  }

  async getModuleById(id: string): Promise<ModuleEntity> {
    const module = await this.dataSource.getRepository(ModuleEntity).findOneBy({ id });
    if (!module) throw new CodeStoreError('module_not_found', `module ${id} does not exist`);
    return module;
  }

  async listModules(page: Page): Promise<{ items: ModuleEntity[]; total: number }> {
    const [items, total] = await this.dataSource
      .getRepository(ModuleEntity)
      .findAndCount({ order: { name: 'ASC' }, take: page.limit, skip: page.offset });
    return { items, total };
  }

  async updateSettings(name: string, settings: ModuleSettings): Promise<ModuleEntity> {
    const module = await this.getModule(name);
    module.settings = settings;
    return this.dataSource.getRepository(ModuleEntity).save(module);
  }

  async deleteModule(name: string): Promise<void> {
    const result = await this.dataSource.getRepository(ModuleEntity).delete({ name });
    if (!result.affected) throw new CodeStoreError('module_not_found', `module ${name} does not exist`);
  }

  async versionCounts(moduleId: string): Promise<Record<VersionStatus, number>> {
    const rows: Array<{ status: VersionStatus; count: string }> = await this.dataSource.query(
      'SELECT status, count(*) AS count FROM module_versions WHERE module_id = $1 GROUP BY status',
      [moduleId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)])) as Record<VersionStatus, number>;
  }

  // ---- versions ----

  async addVersion(moduleId: string, version: NewVersion): Promise<ModuleVersionEntity> {
    return this.insertVersion(this.dataSource.manager, moduleId, version);
  }

  /** Keys are scoped by actor and module: another caller's key is never found. */
  async findVersionByIdempotencyKey(
    moduleId: string,
    actor: string,
    key: string,
  ): Promise<ModuleVersionEntity | null> {
    return this.dataSource
      .getRepository(ModuleVersionEntity)
      .findOneBy({ moduleId, idempotencyActor: actor, idempotencyKey: key });
  }

  /** The version and its module in one query (the pipeline needs both). */
  async findVersionWithModule(
    id: string,
  ): Promise<{ version: ModuleVersionEntity; module: ModuleEntity } | null> {
    if (!isUuid(id)) return null;
    // getOne, not findOne: findOne's implicit limit costs a second query (SELECT DISTINCT) with a join
    const version = await this.dataSource
      .getRepository(ModuleVersionEntity)
      .createQueryBuilder('version')
      .innerJoinAndSelect('version.module', 'module')
      .where('version.id = :id', { id })
      .getOne();
    if (!version?.module) return null;
    const { module } = version;
    delete version.module;
    return { version, module };
  }

  async findVersion(id: string): Promise<ModuleVersionEntity | null> {
    if (!isUuid(id)) return null;
    return this.dataSource.getRepository(ModuleVersionEntity).findOneBy({ id });
  }

  async getVersion(moduleId: string, id: string): Promise<ModuleVersionEntity> {
    const version = await this.findVersion(id);
    if (!version || version.moduleId !== moduleId) {
      throw new CodeStoreError('version_not_found', `version ${id} does not exist in this module`);
    }
    return version;
  }

  /** The one place a version reference (id, seq, `active`, `latest`) becomes a version of the module. */
  async resolveVersionRef(moduleId: string, ref: VersionRef): Promise<ModuleVersionEntity> {
    const versions = this.dataSource.getRepository(ModuleVersionEntity);
    let version: ModuleVersionEntity | null;
    switch (ref.kind) {
      case 'id':
        version = await versions.findOneBy({ id: ref.id, moduleId });
        break;
      case 'seq':
        version = await versions.findOneBy({ seq: ref.seq, moduleId });
        break;
      case 'latest':
        version = await versions.findOne({ where: { moduleId }, order: { seq: 'DESC' } });
        break;
      case 'active': {
        const module = await this.dataSource.getRepository(ModuleEntity).findOneBy({ id: moduleId });
        version = module?.activeVersionId ? await versions.findOneBy({ id: module.activeVersionId }) : null;
        break;
      }
    }
    if (!version) {
      throw new CodeStoreError(
        'version_not_found',
        `${describeVersionRef(ref)} does not exist in this module`,
      );
    }
    return version;
  }

  /** Summaries only: source, compiled code and test reports are what make a version row heavy. */
  async listVersions(
    moduleId: string,
    page: Page,
    status?: VersionStatus,
  ): Promise<{ items: VersionSummaryRow[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(ModuleVersionEntity).findAndCount({
      select: Object.fromEntries(VERSION_SUMMARY_COLUMNS.map((c) => [c, true])),
      where: { moduleId, ...(status ? { status } : {}) },
      order: { seq: 'DESC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items, total };
  }

  /** A held version turned down: only from `ready`, so a version on its way live is never caught. */
  async rejectReady(id: string, diagnostics: Diagnostic[]): Promise<boolean> {
    const result = await this.dataSource.getRepository(ModuleVersionEntity).update({ id, status: 'ready' }, {
      status: 'rejected',
      diagnostics,
    } as QueryDeepPartialEntity<ModuleVersionEntity>);
    return (result.affected ?? 0) > 0;
  }

  async updateVersion(id: string, patch: Partial<ModuleVersionEntity>): Promise<void> {
    const deferred = this.deferred.get(id);
    this.deferred.delete(id);
    await this.dataSource
      .getRepository(ModuleVersionEntity)
      .update({ id }, { ...deferred, ...patch } as QueryDeepPartialEntity<ModuleVersionEntity>);
  }

  /**
   * Written with the version's next updateVersion on this node instead of on its own (a round trip less per
   * stage): only for what a re-run recomputes anyway, since a crash before that write loses it.
   */
  deferVersionUpdate(id: string, patch: Partial<ModuleVersionEntity>): void {
    this.deferred.set(id, { ...this.deferred.get(id), ...patch });
  }

  /** Forgets what was deferred for a version whose run failed (the retry recomputes it). */
  discardDeferred(id: string): void {
    this.deferred.delete(id);
  }

  /** Versions in one of `statuses` not updated since `cutoff`, oldest first (the sweeper's work list). */
  async staleVersions(statuses: Iterable<VersionStatus>, cutoff: Date): Promise<ModuleVersionEntity[]> {
    return this.dataSource.getRepository(ModuleVersionEntity).find({
      where: { status: In([...statuses]), updatedAt: LessThan(cutoff) },
      order: { createdAt: 'ASC' },
      take: 500,
    });
  }

  // ---- test cases ----

  async listTests(moduleId: string): Promise<TestCaseEntity[]> {
    return this.dataSource
      .getRepository(TestCaseEntity)
      .find({ where: { moduleId }, order: { createdAt: 'ASC', name: 'ASC' } });
  }

  async countTests(moduleId: string): Promise<number> {
    return this.dataSource.getRepository(TestCaseEntity).countBy({ moduleId });
  }

  /** Adds cases, refused (`too_many_cases`) when the suite would hold more than `maxCases`. */
  async addTests(moduleId: string, tests: NewTestCase[], createdBy: string, maxCases: number): Promise<void> {
    try {
      await this.dataSource.transaction(async (em) => {
        // Serialises additions per module, so two of them cannot both pass the count.
        await em.query('SELECT id FROM modules WHERE id = $1 FOR UPDATE', [moduleId]);
        assertCaseRoom(await em.countBy(TestCaseEntity, { moduleId }), tests.length, maxCases);
        await this.insertTests(em, moduleId, tests, createdBy);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new CodeStoreError('conflict', 'a test case with that name already exists');
      throw error;
    }
  }

  /** Serialised per module: two replaces at once would each delete, then both insert the same names. */
  async replaceTests(
    moduleId: string,
    tests: NewTestCase[],
    createdBy: string,
    maxCases: number,
  ): Promise<void> {
    assertCaseRoom(0, tests.length, maxCases);
    try {
      await this.dataSource.transaction(async (em) => {
        await em.query('SELECT id FROM modules WHERE id = $1 FOR UPDATE', [moduleId]);
        await em.delete(TestCaseEntity, { moduleId });
        await this.insertTests(em, moduleId, tests, createdBy);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new CodeStoreError('conflict', 'two test cases have the same name');
      throw error;
    }
  }

  // ---- activation ----

  /**
   * Makes `versionId` the module's active version. With `expectedActiveId` it is a compare-and-swap:
   * nothing changes unless that version is still the active one. Statuses follow in the same transaction.
   */
  async activate(
    moduleId: string,
    versionId: string,
    options: {
      expectedActiveId?: string | null;
      reason: ActivationReason;
      actor: string;
      /** The suite's cap: the version's goal cases join the suite up to it. */
      maxCases: number;
      /** How the switch is watched (none: the open watch ends and no new one starts). */
      watch?: WatchPlanner;
    },
  ): Promise<ActivationResult> {
    return this.dataSource.transaction(async (em) => {
      // One read: the module row locked (activations of a module are serial), the target beside it.
      const module = (await em
        .getRepository(ModuleEntity)
        .createQueryBuilder('m')
        .leftJoinAndMapOne('m.target', ModuleVersionEntity, 'v', 'v.id = :versionId AND v.module_id = m.id', {
          versionId,
        })
        .where('m.id = :moduleId', { moduleId })
        .setLock('pessimistic_write', undefined, ['m'])
        .getOne()) as (ModuleEntity & { target?: ModuleVersionEntity }) | null;
      if (!module) throw new CodeStoreError('module_not_found', `module ${moduleId} does not exist`);
      const { target } = module;
      if (!target)
        throw new CodeStoreError('version_not_found', `version ${versionId} does not exist in this module`);
      if (!target.compiled || !target.sha256 || target.dryRun || target.status === 'rejected') {
        throw new CodeStoreError(
          'not_activatable',
          `version ${target.seq} has status ${target.status}${target.dryRun ? ' (dry run)' : ''} and cannot be activated`,
        );
      }
      const from = module.activeVersionId;
      const unchanged = { fromVersionId: from, toVersionId: versionId, seq: target.seq, abortedRollouts: [] };
      if (options.expectedActiveId !== undefined && from !== options.expectedActiveId)
        return { activated: false, ...unchanged };
      const switched = from !== versionId;
      // Already active: only an open rollout ends (an admin's "this version, now" still stops it).
      if (!switched && options.reason === 'rollout') return { activated: true, ...unchanged };
      const abortedRollouts = await switchVersion(em, {
        moduleId,
        versionId,
        fromVersionId: from,
        reason: options.reason,
        actor: options.actor,
        switch: switched,
        plan: switched ? (options.watch?.(module, target) ?? null) : null,
      });
      // A goal met by the version going live becomes part of the exam; a rollback to it does not re-add it.
      if (switched && target.goalCases.length && (options.reason === 'gates' || options.reason === 'manual'))
        await this.joinGoalCases(em, moduleId, target.goalCases, options.actor, options.maxCases);
      return {
        activated: true,
        fromVersionId: from,
        toVersionId: versionId,
        seq: target.seq,
        abortedRollouts,
      };
    });
  }

  /** The version that was active before the current one, from the activations history. */
  async previousActiveVersionId(moduleId: string, currentId: string | null): Promise<string | null> {
    if (!currentId) return null;
    const last = await this.dataSource
      .getRepository(ActivationEntity)
      .findOne({ where: { moduleId, toVersionId: currentId }, order: { createdAt: 'DESC' } });
    return last?.fromVersionId ?? null;
  }

  async listActivations(moduleId: string, page: Page): Promise<{ items: ActivationEntity[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(ActivationEntity).findAndCount({
      where: { moduleId },
      order: { createdAt: 'DESC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items, total };
  }

  /**
   * What every node must be serving, straight from the source of truth. Without the compiled code: the
   * periodic reconciliation reads this for every module, and a node fetches code only for what it must load.
   */
  async activeVersions(moduleName?: string): Promise<ActiveVersion[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT m.name, m.id AS module_id, m.settings, v.id AS version_id, v.seq, v.sha256
         FROM modules m JOIN module_versions v ON v.id = m.active_version_id
        WHERE ($1::text IS NULL OR m.name = $1)`,
      [moduleName ?? null],
    );
    return rows.map((r) => ({
      module: r.name as string,
      moduleId: r.module_id as string,
      versionId: r.version_id as string,
      seq: r.seq as number,
      sha256: r.sha256 as string,
      settings: r.settings as ModuleSettings,
    }));
  }

  async compiledCode(versionId: string): Promise<string> {
    const [row] = (await this.dataSource.query('SELECT compiled FROM module_versions WHERE id = $1', [
      versionId,
    ])) as Array<{
      compiled: string | null;
    }>;
    if (!row?.compiled)
      throw new CodeStoreError('version_not_found', `version ${versionId} has no compiled code`);
    return row.compiled;
  }

  // ---- helpers ----

  /**
   * One statement: `seq` is allocated in the INSERT itself. Two concurrent submissions to a module may draw the
   * same number; the loser's unique violation is retried (outside a transaction; inside one the module is new).
   */
  private async insertVersion(
    em: EntityManager,
    moduleId: string,
    version: NewVersion,
  ): Promise<ModuleVersionEntity> {
    const values = {
      moduleId,
      parentId: version.parentId,
      source: version.source,
      compiled: null,
      sha256: null,
      status: 'queued' as const,
      author: version.author,
      authorRole: version.authorRole,
      rationale: version.rationale ?? null,
      diagnostics: null,
      testReport: null,
      score: null,
      activateRequested: version.activateRequested,
      dryRun: version.dryRun,
      idempotencyKey: version.idempotency?.key ?? null,
      idempotencyActor: version.idempotency?.actor ?? null,
      requestSha256: version.idempotency?.requestSha256 ?? null,
      goalCases: version.goalCases ?? [],
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await em
          .createQueryBuilder()
          .insert()
          .into(ModuleVersionEntity)
          .values({
            ...values,
            seq: () => '(SELECT COALESCE(MAX(seq), 0) + 1 FROM module_versions WHERE module_id = :moduleId)',
          } as QueryDeepPartialEntity<ModuleVersionEntity>)
          .setParameter('moduleId', moduleId)
          .returning(['id', 'seq', 'created_at', 'updated_at'])
          .execute();
        const row = (result.raw as Array<{ id: string; seq: number; created_at: Date; updated_at: Date }>)[0];
        return em.create(ModuleVersionEntity, {
          ...values,
          id: row.id,
          seq: Number(row.seq),
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        });
      } catch (error) {
        const constraint = (error as { driverError?: { constraint?: string } }).driverError?.constraint;
        const seqTaken = isUniqueViolation(error) && constraint === 'module_versions_module_id_seq_key';
        if (!seqTaken || em.queryRunner?.isTransactionActive || attempt >= 10) throw error;
      }
    }
  }

  /** Goal cases whose names the suite does not hold yet, as many as fit under the cap. */
  private async joinGoalCases(
    em: EntityManager,
    moduleId: string,
    cases: NewTestCase[],
    createdBy: string,
    maxCases: number,
  ): Promise<void> {
    const existing = await em.find(TestCaseEntity, { where: { moduleId }, select: { name: true } });
    const names = new Set(existing.map((c) => c.name));
    const fresh = cases.filter((c) => !names.has(c.name));
    await this.insertTests(em, moduleId, fresh.slice(0, Math.max(0, maxCases - existing.length)), createdBy);
  }

  private async insertTests(
    em: EntityManager,
    moduleId: string,
    tests: NewTestCase[],
    createdBy: string,
  ): Promise<void> {
    if (tests.length === 0) return;
    // Raw SQL: TypeORM turns a JSON null into SQL NULL, and `null` is a legitimate input or expectation.
    for (const t of tests) {
      await em.query(
        `INSERT INTO module_test_cases (module_id, name, input, has_expected, expected, created_by, smoke, hidden, evaluator, fixtures)
         VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6, $7, $8, $9::jsonb, $10::jsonb)`,
        [
          moduleId,
          t.name,
          JSON.stringify(t.input ?? null),
          t.hasExpected,
          t.hasExpected ? JSON.stringify(t.expected ?? null) : null,
          createdBy,
          t.smoke === true,
          t.hidden === true,
          t.evaluator ? JSON.stringify(t.evaluator) : null,
          t.fixtures ? JSON.stringify(t.fixtures) : null,
        ],
      );
    }
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (
    (error as { code?: string; driverError?: { code?: string } })?.driverError?.code ===
      PG_UNIQUE_VIOLATION || (error as { code?: string })?.code === PG_UNIQUE_VIOLATION
  );
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
