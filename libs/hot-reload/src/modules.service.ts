import { Injectable } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import { CodeStoreRepository, ModuleEntity, ModuleSettings, NewTestCase } from '@seed/code-store';
import { MetricsService } from '@seed/telemetry';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';

/** Module-level changes that every node must follow: settings (limits reload) and deletion. */
@Injectable()
export class ModulesService {
  constructor(
    private readonly store: CodeStoreRepository,
    private readonly reconciler: Reconciler,
    private readonly bus: ClusterBus,
    private readonly replay: ReplaySamples,
    private readonly metrics: MetricsService,
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

  async addTests(name: string, tests: NewTestCase[], actor: string): Promise<void> {
    const module = await this.store.getModule(name);
    await this.store.addTests(module.id, tests, actor);
  }

  async replaceTests(name: string, tests: NewTestCase[], actor: string): Promise<void> {
    const module = await this.store.getModule(name);
    await this.store.replaceTests(module.id, tests, actor);
  }
}
