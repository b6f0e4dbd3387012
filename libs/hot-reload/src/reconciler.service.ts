import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CapabilityBroker } from '@seed/capabilities';
import { ClusterBus, MODULE_CHANGES, PresenceService } from '@seed/cluster';
import { ActiveVersion, ArtifactCache, CodeStoreRepository, ModuleSettings } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { IsolatePool, LoadedVersion, ModuleRegistry } from '@seed/runtime';
import { EVENTS, emit, MetricsService } from '@seed/telemetry';
import { effectiveLimits, limitsKey } from './limits.js';

export interface Swap {
  module: string;
  fromVersionId: string | null;
  toVersionId: string;
  settings: ModuleSettings;
}

/**
 * Keeps this node's ModuleRegistry equal to what PostgreSQL says is active: at boot (before readiness),
 * on every broadcast, on Redis reconnect and periodically. Work per module is serialised, so a broadcast
 * and a local activation never load the same module twice at once.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Reconciler');
  private readonly loadedLimits = new Map<string, string>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private readonly swapListeners: Array<(swap: Swap) => void> = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly artifacts: ArtifactCache,
    private readonly registry: ModuleRegistry,
    private readonly bus: ClusterBus,
    private readonly pool: IsolatePool,
    private readonly metrics: MetricsService,
    private readonly presence: PresenceService,
    private readonly capabilities: CapabilityBroker,
  ) {
    metrics.provide('seed_agent_loaded_versions', () => this.registry.stats().loadedVersions);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.bus.on(MODULE_CHANGES, (notice) => {
      if (
        notice.node === this.config.nodeName &&
        'versionId' in notice &&
        this.registry.current(notice.module)?.versionId === notice.versionId
      )
        return;
      void this.syncModule(notice.module).catch((e: Error) =>
        this.logger.warn(`sync ${notice.module} failed: ${e.message}`),
      );
    });
    this.bus.onReconnect(
      () => void this.syncAll().catch((e: Error) => this.logger.warn(`reconcile failed: ${e.message}`)),
    );
    await this.syncAll();
    this.timer = setInterval(
      () =>
        void this.syncAll().catch((e: Error) => this.logger.warn(`periodic reconcile failed: ${e.message}`)),
      this.config.cluster.reconcileIntervalMs,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.registry.disposeAll();
  }

  /** Called after every version change on this node (the canary watch starts here). */
  onSwap(listener: (swap: Swap) => void): void {
    this.swapListeners.push(listener);
  }

  async syncAll(): Promise<void> {
    const active = await this.store.activeVersions();
    const wanted = new Set(active.map((a) => a.module));
    // Per module: a version this node cannot load (reported by ensureLoaded) never stops the others.
    await Promise.all(
      active.map((a) => this.serialised(a.module, () => this.ensureLoaded(a)).catch(() => undefined)),
    );
    for (const module of this.registry.loadedModules()) {
      if (!wanted.has(module)) await this.serialised(module, () => this.unload(module));
    }
  }

  /**
   * Loads what PostgreSQL says is active for one module (or unloads it when nothing is). A version that
   * cannot be loaded is reported, and the current one keeps serving; it throws only when there is none.
   */
  async syncModule(module: string): Promise<void> {
    await this.serialised(module, async () => {
      const [active] = await this.store.activeVersions(module);
      if (!active) return this.unload(module);
      try {
        await this.ensureLoaded(active);
      } catch (error) {
        if (!this.registry.current(module)) throw error;
      }
    });
  }

  /** Hands an already-warm candidate (tested on this node) to the registry, saving a reload. */
  async adopt(active: ActiveVersion, candidate: LoadedVersion): Promise<boolean> {
    return this.serialised(active.module, async () => {
      const limits = effectiveLimits(this.config.sandbox, active.settings);
      if (this.registry.current(active.module)?.versionId === active.versionId) return false;
      this.capabilities.remember(active.module, active.moduleId, active.settings.capabilities);
      this.swap(active, candidate, limitsKey(limits));
      return true;
    });
  }

  /**
   * Loads the rollout's canary of `module` beside its active version (undefined: drops it). Serialised with
   * the module's other loads, so a promotion finds the canary and adopts it instead of loading it again.
   */
  async syncCanary(module: string, versionId: string | undefined): Promise<void> {
    await this.serialised(module, async () => {
      if (this.registry.canaryVersion(module)?.versionId === versionId) return;
      if (!versionId || this.registry.current(module)?.versionId === versionId) {
        return this.registry.setCanary(module, undefined);
      }
      this.registry.setCanary(module, await this.loadVersion(module, versionId));
      this.presence.changed();
    });
  }

  /** Loads any compiled version of `module` with the module's limits (a canary, or a `Seed-Version` pin). */
  async loadVersion(module: string, versionId: string): Promise<LoadedVersion> {
    const entity = await this.store.getModule(module);
    const version = await this.store.getVersion(entity.id, versionId);
    if (!version.sha256) throw new Error(`version ${version.seq} of ${module} has no compiled code`);
    return this.load(
      module,
      versionId,
      version.sha256,
      effectiveLimits(this.config.sandbox, entity.settings),
    );
  }

  private async load(
    module: string,
    versionId: string,
    sha256: string,
    limits: ReturnType<typeof effectiveLimits>,
  ): Promise<LoadedVersion> {
    const { code, rebuilt } = await this.artifacts.resolve(sha256, () => this.store.compiledCode(versionId));
    if (rebuilt) this.logger.log(`artifact ${sha256.slice(0, 12)} of ${module} rebuilt from PostgreSQL`);
    return LoadedVersion.load({ module, versionId, code, limits, pool: this.pool });
  }

  private async ensureLoaded(active: ActiveVersion): Promise<void> {
    // grants change with settings alone, without a new version or new limits
    this.capabilities.remember(active.module, active.moduleId, active.settings.capabilities);
    const limits = effectiveLimits(this.config.sandbox, active.settings);
    const key = limitsKey(limits);
    const current = this.registry.current(active.module);
    if (current?.versionId === active.versionId && this.loadedLimits.get(active.module) === key) {
      // serving what it should again (e.g. after a rollback past a version it could not load)
      this.presence.clearLoadFailure(active.module);
      return;
    }
    const canary = this.registry.canaryVersion(active.module);
    if (canary?.versionId === active.versionId && !canary.isDisposed) {
      // a promoted rollout: the canary, already warm, becomes the version every call goes to
      this.swap(active, canary, key);
      this.registry.setCanary(active.module, undefined);
      return;
    }
    let loaded: LoadedVersion;
    try {
      loaded = await this.load(active.module, active.versionId, active.sha256, limits);
    } catch (error) {
      this.reportLoadFailure(active, error as Error);
      throw error;
    }
    this.swap(active, loaded, key);
  }

  /** Metric, presence (GET /cluster) and event; the event only when the failure is new. */
  private reportLoadFailure(active: ActiveVersion, error: Error): void {
    const serving = this.registry.current(active.module)?.versionId ?? null;
    const code = (error as { code?: unknown }).code;
    this.logger.warn(
      `${active.module}: cannot load version ${active.seq} (${active.versionId}), still serving ${serving ?? 'nothing'}: ${error.message}`,
    );
    this.metrics.versionLoadFailures.inc({ module: active.module });
    const news = this.presence.reportLoadFailure({
      module: active.module,
      versionId: active.versionId,
      seq: active.seq,
      ...(typeof code === 'string' ? { code } : {}),
      message: error.message,
      at: new Date().toISOString(),
    });
    if (news) {
      void this.bus.publish({
        type: 'version.load_failed',
        module: active.module,
        versionId: active.versionId,
        seq: active.seq,
        servingVersionId: serving,
        message: error.message,
      });
    }
  }

  private swap(active: ActiveVersion, loaded: LoadedVersion, key: string): void {
    const previous = this.registry.current(active.module)?.versionId ?? null;
    this.registry.activate(active.module, loaded);
    this.loadedLimits.set(active.module, key);
    this.presence.clearLoadFailure(active.module);
    this.presence.changed();
    emit(EVENTS.activation, {
      module: active.module,
      fromVersionId: previous,
      toVersionId: active.versionId,
      seq: active.seq,
      reason: 'load',
    });
    this.logger.log(`${active.module}: serving version ${active.seq} (${active.versionId})`);
    const swap = {
      module: active.module,
      fromVersionId: previous,
      toVersionId: active.versionId,
      settings: active.settings,
    };
    for (const listener of this.swapListeners) listener(swap);
  }

  private async unload(module: string): Promise<void> {
    await this.registry.unload(module);
    this.capabilities.forget(module);
    this.loadedLimits.delete(module);
    this.presence.clearLoadFailure(module);
    this.presence.changed();
  }

  private serialised<T>(module: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(module) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.chains.set(module, next);
    void next
      .finally(() => {
        if (this.chains.get(module) === next) this.chains.delete(module);
      })
      .catch(() => undefined);
    return next;
  }
}
