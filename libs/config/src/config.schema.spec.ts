import { configSchema } from './config.schema';

describe('configSchema', () => {
  it('defaults the tunables that used to be hard-coded', () => {
    const config = configSchema.parse({});
    expect(config.canary.enabled).toBe(true);
    expect(config.integrations.agent.concurrency).toBe(4);
    expect(config.pipeline.enqueueTimeoutMs).toBe(3000);
    expect(config.sandbox.maxLogLines).toBe(100);
  });

  it('reads them from the environment', () => {
    const config = configSchema.parse({
      CANARY_ENABLED: 'false',
      AGENT_CONCURRENCY: '2',
      PIPELINE_ENQUEUE_TIMEOUT: '500',
      SANDBOX_MAX_LOG_LINES: '0',
    });
    expect(config.canary.enabled).toBe(false);
    expect(config.integrations.agent.concurrency).toBe(2);
    expect(config.pipeline.enqueueTimeoutMs).toBe(500);
    expect(config.sandbox.maxLogLines).toBe(0);
  });

  it('names the variable of each bad value', () => {
    const result = configSchema.safeParse({ AGENT_CONCURRENCY: '0', PIPELINE_ENQUEUE_TIMEOUT: 'soon' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'AGENT_CONCURRENCY',
      'PIPELINE_ENQUEUE_TIMEOUT',
    ]);
  });

  it('reports API_TOKENS problems as issues of that variable', () => {
    const result = configSchema.safeParse({ API_TOKENS: 'broken' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['API_TOKENS'], message: expect.stringMatching(/name:role:secret/) }),
    ]);
  });
});
