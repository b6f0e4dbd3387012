import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import type { RolloutEntity } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RolloutRepository } from '@seed/rollout';
import { MetricsService } from '@seed/telemetry';
import { Reconciler } from './reconciler.service.js';

/** How this node splits a module's calls while it has an open rollout. */
export interface Route {
  rolloutId: string;
  stableVersionId: string;
  canaryVersionId: string;
  weight: number;
  status: RolloutEntity['status'];
}

/**
 * Every open rollout's split, as PostgreSQL has it: read at boot, on every `rollout.changed` broadcast, on Redis
 * reconnect and with the periodic reconciliation, so a node that missed a broadcast converges. Loads each canary
 * beside the active version before routing to it.
 */
@Injectable()
export class RouteTable implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RouteTable');
  private routes = new Map<string, Route>();
  private timer?: NodeJS.Timeout;
  /** refreshes run one at a time; one asked for meanwhile runs once after, so the newest read wins */
  private running?: Promise<void>;
  private again = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rollouts: RolloutRepository,
    private readonly reconciler: Reconciler,
    private readonly bus: ClusterBus,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.bus.on(['rollout.changed'], (event) => {
      this.apply(event);
      void this.refreshLogged();
    });
    this.bus.onReconnect(() => void this.refreshLogged());
    await this.refreshLogged();
    this.timer = setInterval(() => void this.refreshLogged(), this.config.cluster.reconcileIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The split for `module`, only once its canary is loaded here (until then every call goes to stable). */
  route(module: string): Route | undefined {
    return this.routes.get(module);
  }

  /** Re-reads every open rollout and loads or drops canaries to match; resolves once a read after the call is in. */
  async refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      while (this.running) await this.running;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.read();
      } while (this.again);
    })().finally(() => (this.running = undefined));
    await this.running;
  }

  private async read(): Promise<void> {
    const open = await this.rollouts.openAll();
    const next = new Map<string, Route>();
    await Promise.all(
      open.map(async (r) => {
        const module = r.module.name;
        try {
          await this.reconciler.syncCanary(module, r.weight > 0 ? r.versionId : undefined);
          next.set(module, {
            rolloutId: r.id,
            stableVersionId: r.stableVersionId,
            canaryVersionId: r.versionId,
            weight: r.weight,
            status: r.status,
          });
        } catch (error) {
          this.logger.warn(`${module}: cannot load canary ${r.versionId}: ${(error as Error).message}`);
        }
      }),
    );
    for (const module of this.routes.keys()) {
      if (!next.has(module)) await this.reconciler.syncCanary(module, undefined).catch(() => undefined);
    }
    this.routes = next;
    this.metrics.canaryWeight.reset();
    for (const [module, route] of next) this.metrics.canaryWeight.set({ module }, route.weight);
  }

  /**
   * A new weight of a rollout this node already routes takes effect on the broadcast itself; the read from
   * PostgreSQL that follows confirms it (and loads or drops the canary). An ended rollout stops routing at once.
   */
  private apply(event: { module: string; rolloutId: string; status: string; weight: number }): void {
    const route = this.routes.get(event.module);
    if (!route || route.rolloutId !== event.rolloutId) return;
    const open = event.status === 'running' || event.status === 'paused';
    if (!open) {
      this.routes.delete(event.module);
      this.metrics.canaryWeight.remove({ module: event.module });
      return;
    }
    // a broadcast is a hint from Redis: only a plausible weight is taken before the read
    if (typeof event.weight !== 'number' || !(event.weight >= 0 && event.weight <= 100)) return;
    route.weight = event.weight;
    route.status = event.status as Route['status'];
    this.metrics.canaryWeight.set({ module: event.module }, event.weight);
  }

  private refreshLogged(): Promise<void> {
    return this.refresh().catch((e: Error) => this.logger.warn(`route refresh failed: ${e.message}`));
  }
}
