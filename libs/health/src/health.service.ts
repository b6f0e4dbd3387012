import { Inject, Injectable } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { DependencyChecks } from './dependency-checks.js';
import { LifecycleService } from './lifecycle.service.js';

export interface Liveness {
  status: 'ok';
  version: string;
  node: string;
  uptimeSeconds: number;
}

export interface Readiness {
  ready: boolean;
  body: { status: 'ok' | 'degraded' | 'starting' | 'shutting_down'; version: string; degraded: string[] };
}

@Injectable()
export class HealthService {
  private deepRun?: Promise<HealthCheckResult>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lifecycle: LifecycleService,
    private readonly checks: DependencyChecks,
    private readonly terminus: HealthCheckService,
  ) {}

  /** The process answers; nothing else is checked, so a slow dependency never gets a node killed. */
  liveness(): Liveness {
    return {
      status: 'ok',
      version: this.config.version,
      node: this.config.nodeName,
      uptimeSeconds: Math.round(process.uptime()),
    };
  }

  /** Ready unless starting or shutting down; loaded versions keep serving without PostgreSQL or Redis. */
  async readiness(): Promise<Readiness> {
    const phase = this.lifecycle.phase;
    if (phase !== 'ready')
      return { ready: false, body: { status: phase, version: this.config.version, degraded: [] } };
    const results = await Promise.all([this.checks.postgres(), this.checks.redisPing()]);
    const degraded = results.flatMap((r) =>
      Object.entries(r)
        .filter(([, v]) => v.status === 'down')
        .map(([k]) => k),
    );
    return {
      ready: true,
      body: { status: degraded.length ? 'degraded' : 'ok', version: this.config.version, degraded },
    };
  }

  /**
   * Every dependency; Terminus throws a 503 naming the failing ones. Concurrent callers share one run, so
   * a burst of probes costs one round of checks.
   */
  deep(): Promise<HealthCheckResult> {
    this.deepRun ??= this.checkAll().finally(() => (this.deepRun = undefined));
    return this.deepRun;
  }

  private checkAll(): Promise<HealthCheckResult> {
    const all: Array<() => Promise<HealthIndicatorResult>> = [
      () => this.checks.postgres(),
      () => this.checks.redisPing(),
      () => this.checks.disk(),
      () => this.checks.memory(),
      () => this.checks.queueDepth(),
      // only with DNS_CLUSTER_QUERY; a warning at most
      ...(this.config.cluster.dnsQuery ? [() => this.checks.clusterDiscovery()] : []),
    ];
    return this.terminus.check(all);
  }
}
