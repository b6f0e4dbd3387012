import { FixtureSession } from '@seed/capabilities';
import { Inject, Injectable } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import {
  type AuthorRole,
  CodeStoreError,
  CodeStoreRepository,
  ModuleEntity,
  ModuleSettings,
  NewTestCase,
  type CaseEvaluator,
  type VersionRef,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { MetricsService } from '@seed/telemetry';
import { runCase } from './candidate-tester.js';
import { evaluatorPinProblem } from './evaluator-pins.js';
import { HotReloadError } from './hot-reload.errors.js';
import { InvocationService } from './invocation.service.js';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';

/** Module-level changes that every node must follow: settings (limits reload) and deletion. */
@Injectable()
export class ModulesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly reconciler: Reconciler,
    private readonly bus: ClusterBus,
    private readonly replay: ReplaySamples,
    private readonly metrics: MetricsService,
    private readonly invocations: InvocationService,
  ) {}

  async updateSettings(name: string, patch: ModuleSettings): Promise<ModuleEntity> {
    const module = await this.store.getModule(name);
    const settings: ModuleSettings = {
      ...module.settings,
      ...patch,
      ...(patch.limits ? { limits: { ...module.settings.limits, ...patch.limits } } : {}),
    };
    const updated = await this.store.updateSettings(name, settings);
    await this.reconciler.syncModule(name);
    await this.bus.publish({ type: 'module.settings_changed', module: name });
    return updated;
  }

  async delete(name: string): Promise<void> {
    await this.store.deleteModule(name);
    await this.reconciler.syncModule(name);
    await this.bus.publish({ type: 'module.deleted', module: name });
    await this.replay.forget(name);
    await this.metrics.forgetModule(name);
  }

  /**
   * Adds cases to the suite. An agent's case must pass on the active version first: a case the active
   * version fails is a goal (POST /improve), and in the suite it would block every later version.
   */
  async addTests(name: string, tests: NewTestCase[], actor: string, role: AuthorRole): Promise<void> {
    const module = await this.store.getModule(name);
    if (role !== 'admin') await this.passOnActive(module, tests);
    await this.store.addTests(module.id, tests, actor, this.config.pipeline.maxCasesPerModule);
  }

  async replaceTests(name: string, tests: NewTestCase[], actor: string): Promise<void> {
    const module = await this.store.getModule(name);
    await this.store.replaceTests(module.id, tests, actor, this.config.pipeline.maxCasesPerModule);
  }

  /**
   * Cases name their evaluator's version by any reference (id, seq, `active`, `latest`); each is stored as the
   * id it names now, once the module is an evaluator and the version one that passed its gates.
   */
  async pinEvaluators<T extends { name: string; evaluator?: EvaluatorRef }>(
    tests: readonly T[],
  ): Promise<Array<Omit<T, 'evaluator'> & { evaluator?: CaseEvaluator }>> {
    // one lookup per distinct pin, however many cases name it (a body holds up to 1,000)
    const pins = new Map<string, Promise<string>>();
    const pin = (test: string, { module: name, versionId: ref }: EvaluatorRef) => {
      const key = `${name} ${JSON.stringify(ref)}`;
      if (!pins.has(key)) pins.set(key, this.evaluatorVersionId(name, ref));
      return pins.get(key)!.catch((error: unknown) => {
        if (error instanceof HotReloadError)
          throw new HotReloadError(error.code, `case "${test}": ${error.message}`);
        throw error;
      });
    };
    return Promise.all(
      tests.map(async ({ evaluator, ...test }) =>
        evaluator
          ? {
              ...test,
              evaluator: {
                module: evaluator.module,
                versionId: await pin(test.name, evaluator),
                threshold: evaluator.threshold,
              },
            }
          : test,
      ),
    );
  }

  private async evaluatorVersionId(name: string, ref: VersionRef): Promise<string> {
    const module = await this.store.findModule(name);
    const version = module
      ? await this.store.resolveVersionRef(module.id, ref).catch((error: unknown) => {
          if (error instanceof CodeStoreError && error.code === 'version_not_found') return null;
          throw error;
        })
      : null;
    const problem = evaluatorPinProblem(module, name, version);
    if (problem || !version)
      throw new HotReloadError('evaluator_invalid', problem ?? `evaluator ${name} has no such version`);
    return version.id;
  }

  private async passOnActive(module: ModuleEntity, tests: NewTestCase[]): Promise<void> {
    if (!tests.length) return;
    const name = module.name;
    const active = await this.invocations.activeVersion(name);
    for (const test of tests) {
      const result = await runCase(active, { ...test, kind: 'case' }, (fixtures) => {
        return new FixtureSession(name, module.settings.capabilities, fixtures, this.config.capabilities);
      });
      if (!result.passed) {
        throw new HotReloadError(
          'case_fails_on_active',
          `case "${test.name}" fails on the active version: submit it as a goal (POST /modules/${name}/improve)`,
          { activeVersionId: active.versionId, result },
        );
      }
    }
  }
}

/** A case's evaluator as a body names it: the version by any reference. */
export interface EvaluatorRef {
  module: string;
  versionId: VersionRef;
  threshold: number;
}
