import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  Counter,
  Gauge,
  Histogram,
  type LabelValues,
  type Metric,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';
import { EVENTS, on } from './telemetry-events.js';

type Source = () => Promise<number> | number;
/** prom-client keeps a metric's configuration, `labelNames` included, on the metric itself. */
type LabelledMetric = Metric & { readonly labelNames?: readonly string[] };
interface InvocationSeries {
  count: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * One dedicated registry (never prom-client's global one, so two apps in one process don't collide).
 * Labels are bounded: module names (created by admins) and fixed enums, never a URL, version id or input.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  private readonly sources = new Map<string, Source>();
  private readonly unsubscribe: Array<() => void> = [];
  /** By module, then result; forgotten with the module's series. */
  private readonly invocationChildren = new Map<string, Map<string, InvocationSeries>>();

  readonly httpDuration = new Histogram({
    name: 'seed_agent_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly stageDuration = new Histogram({
    name: 'seed_agent_hot_reload_stage_duration_seconds',
    help: 'Duration of each improvement pipeline stage',
    labelNames: ['stage', 'result'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly reloadResults = new Counter({
    name: 'seed_agent_hot_reload_results_total',
    help: 'Improvement pipeline outcomes',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly invocations = new Counter({
    name: 'seed_agent_invocations_total',
    help: 'Module invocations by module and result',
    labelNames: ['module', 'result'],
    registers: [this.registry],
  });
  readonly invocationDuration = new Histogram({
    name: 'seed_agent_invocation_duration_seconds',
    help: 'Module invocation duration by module and result',
    labelNames: ['module', 'result'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly activeVersion = new Gauge({
    name: 'seed_agent_active_version',
    help: 'Sequence number of the active version per module',
    labelNames: ['module'],
    registers: [this.registry],
  });
  readonly versionLoadFailures = new Counter({
    name: 'seed_agent_version_load_failures_total',
    help: 'Versions this node was told to serve and could not load (it kept serving its current one)',
    labelNames: ['module'],
    registers: [this.registry],
  });
  readonly moduleModelTokens = new Counter({
    name: 'seed_agent_module_model_tokens_total',
    help: 'Tokens modules spent through ctx.model, by module and kind (input, output)',
    labelNames: ['module', 'kind'],
    registers: [this.registry],
  });
  readonly stalledJobs = new Counter({
    name: 'seed_agent_hot_reload_stalled_jobs_total',
    help: 'Improvement jobs whose worker lost its lock (died or stalled), found and retried by this node',
    registers: [this.registry],
  });
  readonly rollbacks = new Counter({
    name: 'seed_agent_rollbacks_total',
    help: 'Rollbacks by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly canaryWeight = new Gauge({
    name: 'seed_agent_canary_weight',
    help: "Percent of a module's calls its rollout's canary takes on this node (absent: no open rollout)",
    labelNames: ['module'],
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: 'seed_agent_build_info',
    help: 'Always 1; the labels name the running release (VERSION) and this node',
    labelNames: ['version', 'node'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.sourcedGauge('seed_agent_hot_reload_queue_depth', 'Improvement jobs waiting, delayed or active');
    this.sourcedGauge('seed_agent_cluster_nodes', 'Live nodes seen through the Redis presence heartbeat');
    this.sourcedGauge('seed_agent_loaded_versions', 'Module versions loaded in sandboxes on this node');
  }

  /** Lets the lib that owns a figure provide it at scrape time, without telemetry depending on that lib. */
  provide(
    name: 'seed_agent_hot_reload_queue_depth' | 'seed_agent_cluster_nodes' | 'seed_agent_loaded_versions',
    source: Source,
  ): void {
    this.sources.set(name, source);
  }

  /** One series per process: a new call replaces the old one, so the label set stays bounded. */
  setBuildInfo(version: string, node: string): void {
    this.buildInfo.reset();
    this.buildInfo.set({ version, node }, 1);
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      on(EVENTS.hotReloadDuration, (e) =>
        this.stageDuration.observe({ stage: e.stage, result: e.result }, e.seconds),
      ),
      on(EVENTS.invocation, (e) => {
        const series = this.invocationSeries(e.module, e.result);
        series.count.inc();
        series.duration.observe(e.seconds);
      }),
      on(EVENTS.activation, (e) => this.activeVersion.set({ module: e.module }, e.seq)),
      on(EVENTS.rollback, (e) => this.rollbacks.inc({ reason: e.reason })),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /**
   * Drops every series of a deleted module, whatever its other labels (any invocation result, any future
   * metric with a `module` label), so label sets stay bounded by the modules that exist.
   */
  async forgetModule(module: string): Promise<void> {
    this.invocationChildren.delete(module);
    // The registry's typings return plain objects, but it only ever holds the metrics registered in it.
    for (const metric of this.registry.getMetricsAsArray() as unknown as LabelledMetric[]) {
      const labelNames = metric.labelNames ?? [];
      if (!labelNames.includes('module')) continue;
      const { values } = await metric.get();
      // A histogram reports each series once per bucket (`le`) and for _sum and _count: remove it once.
      const series = new Map<string, LabelValues<string>>();
      for (const { labels } of values) {
        if (labels.module !== module) continue;
        const own = Object.fromEntries(
          labelNames.filter((name) => labels[name] !== undefined).map((name) => [name, labels[name]]),
        );
        series.set(JSON.stringify(own), own);
      }
      for (const labels of series.values()) metric.remove(labels);
    }
  }

  /** The series of one module and result, looked up once (an invocation is the hot path). */
  private invocationSeries(module: string, result: string): InvocationSeries {
    let byResult = this.invocationChildren.get(module);
    if (!byResult) this.invocationChildren.set(module, (byResult = new Map()));
    let series = byResult.get(result);
    if (!series) {
      const labels = { module, result };
      series = { count: this.invocations.labels(labels), duration: this.invocationDuration.labels(labels) };
      byResult.set(result, series);
    }
    return series;
  }

  private sourcedGauge(name: string, help: string): void {
    const sources = this.sources;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        const source = sources.get(name);
        if (source) this.set(await source());
      },
    });
  }
}
