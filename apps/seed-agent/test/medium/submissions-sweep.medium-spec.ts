import { ClusterBus } from '@seed/cluster';
import { CodeStoreRepository, moduleSettingsSchema, type VersionStatus } from '@seed/code-store';
import { type AppConfig, loadConfig } from '@seed/config';
import { LocalRuns, type PipelineService, SubmissionsService } from '@seed/hot-reload';
import { JobsRepository, PermanentJobFailure } from '@seed/jobs';
import { RedisService } from '@seed/persistence';
import { MetricsService } from '@seed/telemetry';
import type { DataSource } from 'typeorm';
import { clearPrefix, eventually, SHARED_REDIS_URL } from '../harness';
import { migratedDataSource } from '../support/data-source';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { uniquePrefix } from '../support/redis';

type JobLeft = 'missing' | 'failed' | 'completed' | 'hash only' | 'waiting';

/**
 * The sweeper (SubmissionsService.sweep) against real PostgreSQL and Redis, with JobsRepository and no app:
 * every version the pipeline left unfinished is run again, whatever Redis kept of its job; `ready` is not.
 */
describe('submissions sweeper on PostgreSQL and Redis', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let config: AppConfig;
  let redis: RedisService;
  let jobs: JobsRepository;
  let store: CodeStoreRepository;
  let submissions: SubmissionsService;
  let moduleId: string;
  let parentId: string;

  beforeAll(async () => {
    db = await createTestDatabase('seed_medium');
    dataSource = await migratedDataSource(db);
    config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_PREFIX: uniquePrefix('sweep'),
      // Rows are backdated past it; a row written by the test just now is not stale.
      PIPELINE_SWEEP_INTERVAL: '60000',
      // the sweeper's own subject is the queue: no run here carries a version itself
      PIPELINE_LOCAL_RUN: 'false',
    });
    redis = new RedisService(config);
    jobs = new JobsRepository(config, redis, new MetricsService());
    store = new CodeStoreRepository(dataSource);
    const noLocalRuns = new LocalRuns(config, jobs, undefined as unknown as PipelineService);
    submissions = new SubmissionsService(config, store, jobs, new ClusterBus(config, redis), noLocalRuns);
    const created = await store.createModule(
      'swept',
      moduleSettingsSchema.parse({}),
      [],
      {
        parentId: null,
        source: 'export default () => 1;',
        author: 'admin:test',
        authorRole: 'admin',
        activateRequested: true,
        dryRun: false,
      },
      'admin:test',
      200,
    );
    moduleId = created.module.id;
    parentId = created.version.id;
    await store.updateVersion(parentId, { status: 'active' });
  });

  afterAll(async () => {
    await jobs?.beforeApplicationShutdown();
    await jobs?.onApplicationShutdown();
    await redis?.onApplicationShutdown();
    await clearPrefix(SHARED_REDIS_URL, config.redisPrefix);
    await dataSource?.destroy();
    await db?.drop();
  });

  /** A version in `status`, last updated an hour ago, whose job Redis holds as `left`. */
  async function stranded(status: VersionStatus, left: JobLeft, n: number): Promise<string> {
    const version = await store.addVersion(moduleId, {
      parentId,
      source: `export default () => ${n};`,
      author: 'admin:test',
      authorRole: 'admin',
      activateRequested: status !== 'ready',
      dryRun: false,
    });
    if (left !== 'missing')
      await jobs.add('pipeline', version.id, { versionId: version.id, module: 'swept' });
    if (left === 'failed' || left === 'completed' || left === 'hash only') await finish(version.id, left);
    await dataSource.query(
      `UPDATE module_versions SET status = $2, updated_at = now() - interval '1 hour' WHERE id = $1`,
      [version.id, status],
    );
    return version.id;
  }

  /** Runs the one job to its end on a worker of its own (a failure uses every attempt), then stops it. */
  async function finish(id: string, left: 'failed' | 'completed' | 'hash only'): Promise<void> {
    jobs.work('pipeline', async () => {
      if (left === 'failed') throw new PermanentJobFailure('gave up');
      return { versionId: id };
    });
    expect(await jobs.waitForJob('pipeline', id, 10_000)).toBe(left === 'failed' ? 'failed' : 'completed');
    await jobs.beforeApplicationShutdown();
    // Redis lost the set that said the job was finished: only the job's hash is left.
    if (left === 'hash only') await redis.client.zrem(redis.key('bull', 'pipeline', 'completed'), id);
  }

  it('runs again every unfinished version whose job is gone, failed, completed or broken, and no other', async () => {
    const swept = {
      queuedMissing: await stranded('queued', 'missing', 1),
      compilingMissing: await stranded('compiling', 'missing', 2),
      testingFailed: await stranded('testing', 'failed', 3),
      activatingMissing: await stranded('activating', 'missing', 4),
      activatingFailed: await stranded('activating', 'failed', 5),
      activatingCompleted: await stranded('activating', 'completed', 6),
      testingHashOnly: await stranded('testing', 'hash only', 7),
    };
    const left = {
      readyMissing: await stranded('ready', 'missing', 8),
      readyFailed: await stranded('ready', 'failed', 9),
      queuedWaiting: await stranded('queued', 'waiting', 10),
    };
    expect(await jobs.state('pipeline', swept.testingHashOnly)).toBe('unknown');

    expect(await submissions.sweep()).toBe(Object.keys(swept).length);

    for (const [what, id] of Object.entries(swept)) {
      const job = await jobs.view('pipeline', id);
      expect({ what, state: job?.state, attempts: job?.attempts }).toEqual({
        what,
        state: 'waiting',
        attempts: 0,
      });
    }
    expect(await jobs.state('pipeline', left.readyMissing)).toBe('missing');
    expect(await jobs.state('pipeline', left.readyFailed)).toBe('failed');
    expect(await jobs.state('pipeline', left.queuedWaiting)).toBe('waiting');

    // Each runs again, once, on the next worker; a second sweep finds nothing to do while they wait.
    expect(await submissions.sweep()).toBe(0);
    const ran: string[] = [];
    jobs.work<{ versionId: string }, object>('pipeline', async (job) => {
      ran.push(job.data.versionId);
      await store.updateVersion(job.data.versionId, { status: 'rejected' });
      return {};
    });
    const expected = [...Object.values(swept), left.queuedWaiting].sort();
    await eventually(
      async () => (ran.length >= expected.length ? true : undefined),
      10_000,
      'the swept jobs to run',
    );
    expect([...ran].sort()).toEqual(expected);
  });

  it('leaves a version that moved within the sweep interval alone', async () => {
    const fresh = await store.addVersion(moduleId, {
      parentId,
      source: 'export default () => 11;',
      author: 'admin:test',
      authorRole: 'admin',
      activateRequested: true,
      dryRun: false,
    });
    await store.updateVersion(fresh.id, { status: 'testing' });
    expect(await submissions.sweep()).toBe(0);
    expect(await jobs.state('pipeline', fresh.id)).toBe('missing');
  });
});
