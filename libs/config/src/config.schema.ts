import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { ApiToken } from './api-tokens.js';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const url = (protocols: string[]) =>
  optionalText.refine(
    (v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)),
    `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  );

/** Every environment variable the service reads, with its default. The README's table mirrors this. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(4000).pipe(z.number().max(65535)),
  HOST: optionalText,
  DATABASE_URL: url(['postgres', 'postgresql']),
  REDIS_URL: url(['redis', 'rediss']),
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/, 'letters, digits, : _ - only')
    .default('seed'),
  DATA_DIR: z.string().min(1).default('./data'),
  CODE_DIR: optionalText,
  NODE_NAME: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: optionalText,
  API_TOKENS: optionalText,
  DNS_CLUSTER_QUERY: optionalText,
  CLUSTER_POLL_INTERVAL: int(5000, 100),
  CLUSTER_PRESENCE_TTL: int(15000, 1000),
  HTTP_SERVER_ENABLED: bool(true),
  MIGRATIONS_RUN: bool(true),
  SHUTDOWN_TIMEOUT: int(10000, 100),
  REQUEST_TIMEOUT: int(30000, 100),
  BODY_LIMIT_BYTES: int(2 * 1024 * 1024, 1024),
  RATE_LIMIT_PER_MINUTE: int(1200, 1),
  RATE_LIMIT_BURST: int(200, 1),
  EVENTS_HEARTBEAT: int(15000, 100),
  HEALTH_CHECK_TIMEOUT: int(2000, 50),
  HEALTH_DISK_WARN_MB: int(1024),
  HEALTH_DISK_MIN_MB: int(100),
  HEALTH_HEAP_WARN_MB: int(768),
  HEALTH_HEAP_MAX_MB: int(1536),
  HEALTH_RSS_WARN_MB: int(1024),
  HEALTH_RSS_MAX_MB: int(2048),
  HEALTH_QUEUE_WARN: int(100),
  HEALTH_QUEUE_MAX: int(1000),
  SANDBOX_MEMORY_MB: int(64, 8),
  SANDBOX_CPU_TIMEOUT: int(1000, 1),
  SANDBOX_WALL_TIMEOUT: int(5000, 1),
  SANDBOX_CONCURRENCY: int(8, 1),
  SANDBOX_QUEUE_LIMIT: int(64, 0),
  SANDBOX_MAX_OUTPUT_BYTES: int(1_048_576, 1),
  SANDBOX_MAX_LOG_BYTES: int(16_384, 0),
  SANDBOX_MAX_LOG_LINES: int(100, 0),
  SANDBOX_POOL_SIZE: int(2, 0),
  PIPELINE_CONCURRENCY: int(4, 1),
  PIPELINE_ATTEMPTS: int(5, 1),
  PIPELINE_BACKOFF: int(1000, 1),
  PIPELINE_SWEEP_INTERVAL: int(30000, 100),
  PIPELINE_MAX_SOURCE_BYTES: int(1_048_576, 1),
  PIPELINE_REPLAY_SAMPLE: int(20, 0),
  PIPELINE_LOCK_DURATION: int(30000, 1000),
  PIPELINE_STALLED_INTERVAL: int(30000, 1000),
  RECONCILE_INTERVAL: int(30000, 100),
  CANARY_WINDOW: int(60000, 100),
  CANARY_MIN_CALLS: int(20, 1),
  CANARY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2),
  // node identity (cluster)
  FLY_MACHINE_ID: optionalText,
  FLY_REGION: optionalText,
  FLY_PRIVATE_IP: optionalText,
  NODE_REGION: optionalText,
  NODE_ADDRESS: optionalText,
  // integrations: models, the improving agent, self-healing
  AGENT_MODEL: z.string().trim().min(1).default('claude-cli:sonnet'),
  AGENT_ENABLED: bool(true),
  AGENT_MAX_ATTEMPTS: int(3, 1).pipe(z.number().max(20)),
  AGENT_DAILY_LIMIT: int(50, 0),
  AGENT_TIME_BUDGET: int(300000, 1000),
  AGENT_COST_BUDGET_USD: z.coerce.number().min(0).default(1),
  AGENT_RECENT_ERRORS: int(10, 0),
  SELF_HEAL_ENABLED: bool(false),
  SELF_HEAL_WINDOW: int(300000, 1000),
  SELF_HEAL_MIN_CALLS: int(20, 1),
  SELF_HEAL_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  SELF_HEAL_COOLDOWN: int(3600000, 1000),
  CLI_TIMEOUT: int(120000, 100),
  CLAUDE_CLI_PATH: z.string().min(1).default('claude'),
  CLAUDE_DEFAULT_MODEL: z.string().min(1).default('sonnet'),
  CLAUDE_MAX_TOKENS: z.coerce.number().int().min(1).optional(),
  CLAUDE_API_URL: url(['http', 'https']),
  CLAUDE_HOME: optionalText,
  CLAUDE_CODE_OAUTH_TOKEN: optionalText,
  CODEX_CLI_PATH: z.string().min(1).default('codex'),
  CODEX_DEFAULT_MODEL: optionalText,
  CODEX_SANDBOX: z.enum(['read-only', 'workspace-write', 'danger-full-access']).default('read-only'),
  CODEX_HOME: optionalText,
  ANTHROPIC_API_KEY: optionalText,
  OPENAI_COMPATIBLE_BASE_URL: url(['http', 'https']),
  OPENAI_COMPATIBLE_API_KEY: optionalText,
  // not used by the service: the only variables the CLI children inherit (they get a minimal environment)
  PATH: optionalText,
  HOME: optionalText,
  HTTPS_PROXY: optionalText,
  HTTP_PROXY: optionalText,
  NO_PROXY: optionalText,
});

export type Env = z.infer<typeof envSchema>;

export interface AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly production: boolean;
  readonly version: string;
  readonly http: {
    readonly enabled: boolean;
    readonly port: number;
    readonly host: string;
    readonly requestTimeoutMs: number;
    readonly bodyLimitBytes: number;
    /** Per token, per node: a token bucket refilled at perMinute with room for burst. */
    readonly rateLimit: { readonly perMinute: number; readonly burst: number };
    readonly eventsHeartbeatMs: number;
  };
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  readonly redisPrefix: string;
  readonly dataDir: string;
  readonly codeDir: string;
  readonly nodeName: string;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly metricsToken?: string;
  /** Parsed API_TOKENS; empty outside production means a generated admin token is used. */
  readonly apiTokens: readonly ApiToken[];
  readonly migrationsRun: boolean;
  readonly shutdownTimeoutMs: number;
  readonly cluster: {
    readonly dnsQuery?: string;
    readonly pollIntervalMs: number;
    readonly presenceTtlMs: number;
    readonly reconcileIntervalMs: number;
  };
  readonly health: {
    readonly timeoutMs: number;
    readonly diskWarnMb: number;
    readonly diskMinMb: number;
    readonly heapWarnMb: number;
    readonly heapMaxMb: number;
    readonly rssWarnMb: number;
    readonly rssMaxMb: number;
    readonly queueWarn: number;
    readonly queueMax: number;
  };
  readonly sandbox: SandboxLimits & { readonly poolSize: number };
  readonly canary: CanaryPolicy;
  /** Where this node runs, when the platform says (Fly sets FLY_*; Kubernetes can set NODE_REGION/NODE_ADDRESS). */
  readonly node: { readonly region?: string; readonly address?: string; readonly machineId?: string };
  readonly integrations: IntegrationsConfig;
  readonly pipeline: {
    readonly concurrency: number;
    readonly attempts: number;
    readonly backoffMs: number;
    readonly sweepIntervalMs: number;
    readonly maxSourceBytes: number;
    readonly replaySample: number;
    /** A job whose worker died is retried once its lock (this long) expires, checked every stalledIntervalMs. */
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
  };
}

/**
 * After an activation, the new version's error rate is watched for windowMs; once it has minCalls calls,
 * an error rate above the predecessor's plus threshold (e.g. 0.2 = 20 points) rolls it back.
 */
export interface CanaryPolicy {
  readonly enabled: boolean;
  readonly windowMs: number;
  readonly minCalls: number;
  readonly threshold: number;
}

export interface IntegrationsConfig {
  /** `<provider>` or `<provider>:<model>`: claude-cli, codex-cli, anthropic, openai-compatible. */
  readonly agentModel: string;
  readonly agent: {
    readonly enabled: boolean;
    readonly maxAttempts: number;
    /** Improvements per module per day. */
    readonly dailyLimit: number;
    readonly timeBudgetMs: number;
    readonly costBudgetUsd: number;
    /** Recent runtime errors of the module shown to the model. */
    readonly recentErrors: number;
  };
  readonly selfHeal: {
    readonly enabled: boolean;
    readonly windowMs: number;
    readonly minCalls: number;
    readonly threshold: number;
    readonly cooldownMs: number;
  };
  readonly cliTimeoutMs: number;
  readonly claude: {
    readonly cliPath: string;
    readonly defaultModel: string;
    readonly maxTokens?: number;
    readonly apiUrl?: string;
    readonly home?: string;
    /** A secret: never logged. */
    readonly oauthToken?: string;
  };
  readonly codex: {
    readonly cliPath: string;
    readonly defaultModel?: string;
    readonly sandbox: 'read-only' | 'workspace-write' | 'danger-full-access';
    readonly home?: string;
  };
  readonly anthropic: { readonly apiKey?: string };
  readonly openaiCompatible: { readonly baseUrl?: string; readonly apiKey?: string };
  /** What the CLI children inherit from our environment: PATH, HOME and proxy settings, when set. */
  readonly cliEnv: Readonly<Record<string, string>>;
}

/** Limits of one sandboxed module; config holds the defaults, module settings may override them. */
export interface SandboxLimits {
  readonly memoryMb: number;
  readonly cpuTimeoutMs: number;
  readonly wallTimeoutMs: number;
  readonly concurrency: number;
  readonly queueLimit: number;
  readonly maxOutputBytes: number;
  readonly maxLogBytes: number;
  /** ctx.log lines kept per call; unset means the runtime's default (100) */
  readonly maxLogLines?: number;
}

export function toAppConfig(env: Env, version: string, apiTokens: ApiToken[] = []): AppConfig {
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(env.DATA_DIR);
  return {
    env: env.NODE_ENV,
    production,
    version,
    http: {
      enabled: env.HTTP_SERVER_ENABLED,
      port: env.PORT,
      host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      requestTimeoutMs: env.REQUEST_TIMEOUT,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, burst: env.RATE_LIMIT_BURST },
      eventsHeartbeatMs: env.EVENTS_HEARTBEAT,
    },
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.REDIS_PREFIX,
    dataDir,
    codeDir: resolve(env.CODE_DIR ?? join(dataDir, 'code')),
    nodeName: env.NODE_NAME ?? env.FLY_MACHINE_ID ?? hostname(),
    node: {
      region: env.NODE_REGION ?? env.FLY_REGION,
      address: env.NODE_ADDRESS ?? env.FLY_PRIVATE_IP,
      machineId: env.FLY_MACHINE_ID,
    },
    logLevel: env.LOG_LEVEL,
    metricsToken: env.METRICS_TOKEN,
    apiTokens,
    migrationsRun: env.MIGRATIONS_RUN,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT,
    cluster: {
      dnsQuery: env.DNS_CLUSTER_QUERY,
      pollIntervalMs: env.CLUSTER_POLL_INTERVAL,
      presenceTtlMs: env.CLUSTER_PRESENCE_TTL,
      reconcileIntervalMs: env.RECONCILE_INTERVAL,
    },
    health: {
      timeoutMs: env.HEALTH_CHECK_TIMEOUT,
      diskWarnMb: env.HEALTH_DISK_WARN_MB,
      diskMinMb: env.HEALTH_DISK_MIN_MB,
      heapWarnMb: env.HEALTH_HEAP_WARN_MB,
      heapMaxMb: env.HEALTH_HEAP_MAX_MB,
      rssWarnMb: env.HEALTH_RSS_WARN_MB,
      rssMaxMb: env.HEALTH_RSS_MAX_MB,
      queueWarn: env.HEALTH_QUEUE_WARN,
      queueMax: env.HEALTH_QUEUE_MAX,
    },
    sandbox: {
      memoryMb: env.SANDBOX_MEMORY_MB,
      cpuTimeoutMs: env.SANDBOX_CPU_TIMEOUT,
      wallTimeoutMs: env.SANDBOX_WALL_TIMEOUT,
      concurrency: env.SANDBOX_CONCURRENCY,
      queueLimit: env.SANDBOX_QUEUE_LIMIT,
      maxOutputBytes: env.SANDBOX_MAX_OUTPUT_BYTES,
      maxLogBytes: env.SANDBOX_MAX_LOG_BYTES,
      maxLogLines: env.SANDBOX_MAX_LOG_LINES,
      poolSize: env.SANDBOX_POOL_SIZE,
    },
    integrations: {
      agentModel: env.AGENT_MODEL,
      agent: {
        enabled: env.AGENT_ENABLED,
        maxAttempts: env.AGENT_MAX_ATTEMPTS,
        dailyLimit: env.AGENT_DAILY_LIMIT,
        timeBudgetMs: env.AGENT_TIME_BUDGET,
        costBudgetUsd: env.AGENT_COST_BUDGET_USD,
        recentErrors: env.AGENT_RECENT_ERRORS,
      },
      selfHeal: {
        enabled: env.SELF_HEAL_ENABLED,
        windowMs: env.SELF_HEAL_WINDOW,
        minCalls: env.SELF_HEAL_MIN_CALLS,
        threshold: env.SELF_HEAL_THRESHOLD,
        cooldownMs: env.SELF_HEAL_COOLDOWN,
      },
      cliTimeoutMs: env.CLI_TIMEOUT,
      claude: {
        cliPath: env.CLAUDE_CLI_PATH,
        defaultModel: env.CLAUDE_DEFAULT_MODEL,
        maxTokens: env.CLAUDE_MAX_TOKENS,
        apiUrl: env.CLAUDE_API_URL,
        home: env.CLAUDE_HOME,
        oauthToken: env.CLAUDE_CODE_OAUTH_TOKEN,
      },
      codex: {
        cliPath: env.CODEX_CLI_PATH,
        defaultModel: env.CODEX_DEFAULT_MODEL,
        sandbox: env.CODEX_SANDBOX,
        home: env.CODEX_HOME,
      },
      anthropic: { apiKey: env.ANTHROPIC_API_KEY },
      openaiCompatible: { baseUrl: env.OPENAI_COMPATIBLE_BASE_URL, apiKey: env.OPENAI_COMPATIBLE_API_KEY },
      cliEnv: Object.fromEntries(
        (['PATH', 'HOME', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'] as const).flatMap((name) =>
          env[name] === undefined ? [] : [[name, env[name]]],
        ),
      ),
    },
    canary: {
      enabled: true,
      windowMs: env.CANARY_WINDOW,
      minCalls: env.CANARY_MIN_CALLS,
      threshold: env.CANARY_THRESHOLD,
    },
    pipeline: {
      concurrency: env.PIPELINE_CONCURRENCY,
      attempts: env.PIPELINE_ATTEMPTS,
      backoffMs: env.PIPELINE_BACKOFF,
      sweepIntervalMs: env.PIPELINE_SWEEP_INTERVAL,
      maxSourceBytes: env.PIPELINE_MAX_SOURCE_BYTES,
      replaySample: env.PIPELINE_REPLAY_SAMPLE,
      lockDurationMs: env.PIPELINE_LOCK_DURATION,
      stalledIntervalMs: env.PIPELINE_STALLED_INTERVAL,
    },
  };
}
