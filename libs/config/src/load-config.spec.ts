import { ConfigError, loadConfig, scrubSecretsFromProcessEnv, SECRET_VARIABLES } from './load-config';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const config = loadConfig({}, '1.2.3');
    expect(config.http).toMatchObject({ enabled: true, port: 4000, host: '127.0.0.1' });
    expect(config.version).toBe('1.2.3');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.codeDir).toBe(`${config.dataDir}/code`);
    expect(config.cluster.pollIntervalMs).toBe(5000);
    expect(Object.isFrozen(config.sandbox)).toBe(true);
  });

  it('listens on all interfaces in production', () => {
    const config = loadConfig(
      { NODE_ENV: 'production', API_TOKENS: 'ops:admin:s3cret-s3cret-s3cret', METRICS_TOKEN: 'm3trics' },
      '1',
    );
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.production).toBe(true);
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig(
        {
          NODE_ENV: 'staging',
          PORT: 'eighty',
          DATABASE_URL: 'mysql://x',
          REDIS_URL: 'http://x',
          LOG_LEVEL: 'loud',
          HTTP_SERVER_ENABLED: 'maybe',
          CLUSTER_POLL_INTERVAL: '-5',
          SANDBOX_MEMORY_MB: '1',
        },
        '1',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const named = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(named.sort()).toEqual(
      [
        'NODE_ENV',
        'PORT',
        'DATABASE_URL',
        'REDIS_URL',
        'LOG_LEVEL',
        'HTTP_SERVER_ENABLED',
        'CLUSTER_POLL_INTERVAL',
        'SANDBOX_MEMORY_MB',
      ].sort(),
    );
    expect((error as ConfigError).message).toContain('PORT');
  });

  it('refuses production without API tokens', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: 'm3trics' }, '1')).toThrow(/API_TOKENS/);
  });

  it('refuses production without METRICS_TOKEN, and names it', () => {
    const start = () =>
      loadConfig({ NODE_ENV: 'production', API_TOKENS: 'ops:admin:s3cret-s3cret-s3cret' }, '1');
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/METRICS_TOKEN.*required in production/);
    expect(() => loadConfig({ NODE_ENV: 'development' }, '1')).not.toThrow();
  });

  it('scrubs the secret variables from an environment once read, and nothing else', () => {
    expect([...SECRET_VARIABLES].sort()).toEqual([
      'ANTHROPIC_API_KEY',
      'API_TOKENS',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'DATABASE_URL',
      'METRICS_TOKEN',
      'OPENAI_COMPATIBLE_API_KEY',
      'REDIS_URL',
      'SECRETS_KEY',
      'SECRETS_KEY_PREVIOUS',
    ]);
    const env: NodeJS.ProcessEnv = {
      PATH: '/bin',
      HOME: '/home/seed',
      API_TOKENS: 'ops:admin:s3cret-s3cret-s3cret',
      DATABASE_URL: 'postgres://u:p@db/seed',
      CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x',
    };
    const config = loadConfig(env, '1');
    scrubSecretsFromProcessEnv(env);
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/seed' });
    expect(config.databaseUrl).toBe('postgres://u:p@db/seed');
  });
});
