import { ClusterModule } from '@seed/cluster';
import { CodeStoreRepository, type NewTestCase, type VersionStatus } from '@seed/code-store';
import { HotReloadModule, PipelineService, type PipelineRun } from '@seed/hot-reload';
import { ModuleRegistry } from '@seed/runtime';
import { adminVersion, startMedium, type MediumContext } from '../support/medium';

const V = (n: number) => `export default (x: number) => x + ${n};`;

/** PipelineService driven directly (no queue, no HTTP) against real PostgreSQL, Redis and isolates. */
describe('PipelineService', () => {
  let m: MediumContext;
  let pipeline: PipelineService;
  let store: CodeStoreRepository;
  let registry: ModuleRegistry;

  beforeAll(async () => {
    m = await startMedium([ClusterModule, HotReloadModule]);
    pipeline = m.get(PipelineService);
    store = m.get(CodeStoreRepository);
    registry = m.get(ModuleRegistry);
  });
  afterAll(() => m?.close());

  /** A run that records the stages it reports and the version's status at each of them. */
  function recordingRun(versionId: string) {
    const seen: Array<{ stage: string; status: VersionStatus | undefined }> = [];
    const run: PipelineRun = {
      finalAttempt: false,
      progress: async (stage) => {
        seen.push({ stage, status: (await store.findVersion(versionId))?.status });
      },
    };
    return { run, seen };
  }

  async function createModule(
    name: string,
    tests: NewTestCase[] = [{ name: 'adds', input: 1, hasExpected: false }],
  ) {
    const { module, version } = await store.createModule(
      name,
      {},
      tests,
      adminVersion(V(1)),
      'admin:test',
      200,
    );
    const result = await pipeline.evaluate(version.id, recordingRun(version.id).run);
    expect(result).toMatchObject({ status: 'active', activated: true });
    return { module, first: version };
  }

  const candidate = (
    moduleId: string,
    parentId: string | null,
    n: number,
    role: 'admin' | 'agent' = 'admin',
  ) =>
    store.addVersion(moduleId, {
      parentId,
      source: V(n),
      author: `${role}:test`,
      authorRole: role,
      activateRequested: true,
      dryRun: false,
    });

  it('activates a passing candidate as a compare-and-swap on its parent and serves it on this node', async () => {
    const { module, first } = await createModule('cas');
    const second = await candidate(module.id, first.id, 2);
    const result = await pipeline.evaluate(second.id, recordingRun(second.id).run);
    expect(result).toEqual({ versionId: second.id, status: 'active', activated: true });
    expect((await store.getModule('cas')).activeVersionId).toBe(second.id);
    expect((await store.findVersion(first.id))?.status).toBe('retired');
    expect(registry.current('cas')?.versionId).toBe(second.id);
  });

  it('supersedes a candidate whose parent is no longer active, with the reason in its diagnostics', async () => {
    const { module, first } = await createModule('supersede');
    const a = await candidate(module.id, first.id, 2);
    const b = await candidate(module.id, first.id, 3);
    expect((await pipeline.evaluate(a.id, recordingRun(a.id).run)).status).toBe('active');
    const result = await pipeline.evaluate(b.id, recordingRun(b.id).run);
    expect(result).toEqual({ versionId: b.id, status: 'superseded', activated: false });
    const stored = await store.findVersion(b.id);
    expect(stored?.diagnostics?.[0]?.message).toContain(`now ${a.id}`);
    expect((await store.getModule('supersede')).activeVersionId).toBe(a.id);
  });

  it('shows `activating`, never `ready`, between storing and activating a version asked to go live', async () => {
    const { module, first } = await createModule('activating');
    const next = await candidate(module.id, first.id, 2);
    const { run, seen } = recordingRun(next.id);
    await pipeline.evaluate(next.id, run);
    expect(seen.find((s) => s.stage === 'activate')?.status).toBe('activating');
    expect(seen.map((s) => s.status)).not.toContain('ready');
  });

  it('holds an agent candidate at `ready` when the module requires approval', async () => {
    const { module, first } = await createModule('held');
    await store.updateSettings('held', { requireApproval: true });
    const next = await candidate(module.id, first.id, 2, 'agent');
    const { run, seen } = recordingRun(next.id);
    expect(await pipeline.evaluate(next.id, run)).toEqual({
      versionId: next.id,
      status: 'ready',
      activated: false,
    });
    expect(seen.map((s) => s.status)).not.toContain('activating');
    expect((await store.getModule('held')).activeVersionId).toBe(first.id);
  });

  it('a re-delivered run of a finished version answers its outcome and changes nothing', async () => {
    const { module, first } = await createModule('redelivered');
    const next = await candidate(module.id, first.id, 2);
    await pipeline.evaluate(next.id, recordingRun(next.id).run);
    const { run, seen } = recordingRun(next.id);
    expect(await pipeline.evaluate(next.id, run)).toEqual({
      versionId: next.id,
      status: 'active',
      activated: true,
    });
    expect(seen).toEqual([]); // no stage ran again
    const history = await store.listActivations(module.id, { limit: 10, offset: 0 });
    expect(history.items.filter((a) => a.toVersionId === next.id)).toHaveLength(1);
  });

  it('a re-delivered run of a version stored before a crash only decides its activation', async () => {
    const { module, first } = await createModule('crashed');
    const next = await candidate(module.id, first.id, 2);
    // As left by a node that died after the store stage: compiled, tested, stored, not yet decided.
    const once = recordingRun(next.id);
    const compiledRun: PipelineRun = {
      finalAttempt: false,
      progress: async (stage) => {
        if (stage === 'activate') throw new Error('node died');
        return once.run.progress(stage, 0);
      },
    };
    await expect(pipeline.evaluate(next.id, compiledRun)).rejects.toThrow('node died');
    expect((await store.findVersion(next.id))?.status).toBe('activating');
    const { run, seen } = recordingRun(next.id);
    expect(await pipeline.evaluate(next.id, run)).toMatchObject({ status: 'active', activated: true });
    expect(seen.map((s) => s.stage)).not.toContain('compile');
  });

  it('rejects a candidate that fails a case, finally, with the failure in its diagnostics', async () => {
    const { module, first } = await createModule('rejects', [
      { name: 'adds', input: 1, expected: 2, hasExpected: true },
    ]);
    const bad = await candidate(module.id, first.id, 5);
    const result = await pipeline.evaluate(bad.id, recordingRun(bad.id).run);
    expect(result).toMatchObject({ status: 'rejected', activated: false });
    expect(result.diagnostics?.[0]).toMatchObject({ stage: 'test' });
    expect((await store.findVersion(bad.id))?.status).toBe('rejected');
    expect(await pipeline.evaluate(bad.id, recordingRun(bad.id).run)).toMatchObject({ status: 'rejected' });
    expect((await store.getModule('rejects')).activeVersionId).toBe(first.id);
  });
});
