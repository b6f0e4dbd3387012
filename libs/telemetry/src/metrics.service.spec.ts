import { MetricsService } from './metrics.service';

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
