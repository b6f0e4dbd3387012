import { Counter, Gauge, Histogram, type Metric } from 'prom-client';
import { MetricsService } from './metrics.service';
import { emit, EVENTS } from './telemetry-events';

type LabelledMetric = Metric & { name: string; labelNames: string[] };

describe('MetricsService.setBuildInfo', () => {
  it('exposes seed_agent_build_info{version, node} = 1, one series per process', async () => {
    const metrics = new MetricsService();
    metrics.setBuildInfo('1.2.3', 'node-a');
    metrics.setBuildInfo('1.2.4', 'node-a');
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((line) => line.startsWith('seed_agent_build_info{'));
    expect(series).toEqual(['seed_agent_build_info{version="1.2.4",node="node-a"} 1']);
    expect(text).toContain('# TYPE seed_agent_build_info gauge');
  });
});

describe('MetricsService.forgetModule', () => {
  const moduleLines = (text: string, module: string) =>
    text.split('\n').filter((line) => !line.startsWith('#') && line.includes(`module="${module}"`));

  it('drops every series of the module from every metric with a module label, whatever the other labels', async () => {
    const metrics = new MetricsService();
    const labelled = (metrics.registry.getMetricsAsArray() as unknown as LabelledMetric[]).filter((m) =>
      m.labelNames?.includes('module'),
    );
    expect(labelled.length).toBeGreaterThan(0);
    for (const module of ['gone', 'kept']) {
      for (const value of ['ok', 'input_not_json', 'disposed', 'not_loaded', 'error', 'anything_else']) {
        for (const metric of labelled) {
          const labels = Object.fromEntries(
            metric.labelNames.map((name) => [name, name === 'module' ? module : value]),
          );
          if (metric instanceof Histogram) metric.observe(labels, 0.01);
          else if (metric instanceof Gauge) metric.set(labels, 1);
          else if (metric instanceof Counter) metric.inc(labels);
          else throw new Error(`no way to record ${metric.name} in this spec`);
        }
      }
    }
    const before = await metrics.registry.metrics();
    for (const metric of labelled) {
      expect(
        moduleLines(before, 'gone').filter((line) => line.startsWith(metric.name)).length,
      ).toBeGreaterThan(0);
    }

    await metrics.forgetModule('gone');

    const after = await metrics.registry.metrics();
    expect(moduleLines(after, 'gone')).toEqual([]);
    expect(moduleLines(after, 'kept')).toEqual(moduleLines(before, 'kept'));
  });

  it('forgets the invocation results the runtime reports through telemetry events', async () => {
    const metrics = new MetricsService();
    metrics.onModuleInit();
    try {
      for (const result of ['ok', 'input_not_json', 'disposed', 'not_loaded', 'error', 'timeout']) {
        emit(EVENTS.invocation, { module: 'gone', result, seconds: 0.001 });
      }
      emit(EVENTS.activation, {
        module: 'gone',
        fromVersionId: null,
        toVersionId: 'v1',
        seq: 1,
        reason: 'manual',
      });
      metrics.versionLoadFailures.inc({ module: 'gone' });
      expect(moduleLines(await metrics.registry.metrics(), 'gone').length).toBeGreaterThan(0);

      await metrics.forgetModule('gone');

      expect(moduleLines(await metrics.registry.metrics(), 'gone')).toEqual([]);
      // a module created again under the name counts afresh
      emit(EVENTS.invocation, { module: 'gone', result: 'ok', seconds: 0.001 });
      expect(moduleLines(await metrics.registry.metrics(), 'gone')).toContainEqual(
        expect.stringMatching(/^seed_agent_invocations_total\{module="gone",result="ok"\} 1$/),
      );
    } finally {
      metrics.onModuleDestroy();
    }
  });
});
