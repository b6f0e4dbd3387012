import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseApiTokens, type ApiToken } from './api-tokens.js';
import { envSchema, type Env } from './env.schema.js';

const CLI_ENV = ['PATH', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'] as const;

/**
 * The one source of the configuration: the environment (envSchema), validated, then shaped into what the
 * app reads. API_TOKENS problems and the production-only rules are issues of this schema, so they surface
 * the way a bad variable does, once every variable is valid.
 */
export const configSchema = envSchema.transform((env, ctx) => {
  const tokens = parseApiTokens(env.API_TOKENS);
  const problems = [
    ...tokens.problems.map((message) => ({ variable: 'API_TOKENS', message })),
    ...productionProblems(env),
  ];
  for (const { variable, message } of problems) ctx.addIssue({ code: 'custom', message, path: [variable] });
  return nested(env, tokens.tokens);
});

/** Rules that only hold in production, where a missing setting must stop the start instead of defaulting. */
function productionProblems(env: Env): Array<{ variable: keyof Env; message: string }> {
  if (env.NODE_ENV !== 'production') return [];
  return [
    ...(env.API_TOKENS
      ? []
      : [
          {
            variable: 'API_TOKENS' as const,
            message: 'required in production (no token is generated there)',
          },
        ]),
    // Metrics name every module and node: not for anyone who can reach the port.
    ...(env.METRICS_TOKEN
      ? []
      : [
          {
            variable: 'METRICS_TOKEN' as const,
            message: 'required in production (/metrics is open without it)',
          },
        ]),
  ];
}

function nested(env: Env, apiTokens: ApiToken[]) {
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(env.DATA_DIR);
  return {
    env: env.NODE_ENV,
    production,
    http: {
      enabled: env.HTTP_SERVER_ENABLED,
      port: env.PORT,
      host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      requestTimeoutMs: env.REQUEST_TIMEOUT,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      maxJsonDepth: env.HTTP_MAX_JSON_DEPTH,
      /** `?diff=parent` runs on the event loop: bounded in edits and in time. */
      diff: { maxEditLength: env.HTTP_DIFF_MAX_EDIT_LENGTH, timeoutMs: env.HTTP_DIFF_TIMEOUT },
      /** Per token, per node: a token bucket refilled at perMinute with room for burst. */
      rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, burst: env.RATE_LIMIT_BURST },
      /** Per token, per node, on the data plane (invoke) only; 0 = off. */
      invokeRateLimitPerMinute: env.INVOKE_RATE_LIMIT_PER_MINUTE,
      /** Per client address, per node, on the routes that need no token. */
      publicRateLimit: { perMinute: env.RATE_LIMIT_PUBLIC_PER_MINUTE, burst: env.RATE_LIMIT_PUBLIC_BURST },
      eventsHeartbeatMs: env.EVENTS_HEARTBEAT,
      /** Server-sent event streams (`/events` and streamed chat), per node. */
      streams: {
        max: env.EVENTS_MAX_STREAMS,
        maxPerToken: env.EVENTS_MAX_STREAMS_PER_TOKEN,
        maxBufferBytes: env.EVENTS_MAX_BUFFER_BYTES,
        maxEventBytes: env.EVENTS_MAX_EVENT_BYTES,
      },
    },
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.REDIS_PREFIX,
    dataDir,
    codeDir: resolve(env.CODE_DIR ?? join(dataDir, 'code')),
    nodeName: env.NODE_NAME ?? env.FLY_MACHINE_ID ?? hostname(),
    /** Where this node runs, when the platform says (Fly sets FLY_*; Kubernetes can set NODE_REGION/NODE_ADDRESS). */
    node: {
      region: env.NODE_REGION ?? env.FLY_REGION,
      address: env.NODE_ADDRESS ?? env.FLY_PRIVATE_IP,
      machineId: env.FLY_MACHINE_ID,
    },
    logLevel: env.LOG_LEVEL,
    metricsToken: env.METRICS_TOKEN,
    /** Parsed API_TOKENS; empty outside production means a generated admin token is used. */
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
    /** The defaults of every module's SandboxLimits, plus the node's isolate pool. */
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
    /** Bounds of the capabilities (libs/capabilities); grants may narrow the per-module ones. */
    capabilities: {
      maxCallsPerInvocation: env.SANDBOX_MAX_CAPABILITY_CALLS,
      maxCallDepth: env.SANDBOX_MAX_CALL_DEPTH,
      kv: {
        maxKeyBytes: env.KV_MAX_KEY_BYTES,
        maxValueBytes: env.KV_MAX_VALUE_BYTES,
        maxKeys: env.KV_MAX_KEYS,
        maxBytes: env.KV_MAX_BYTES,
        listLimit: env.KV_LIST_LIMIT,
        timeoutMs: env.KV_TIMEOUT,
      },
      fetch: {
        allowCidrs: env.FETCH_ALLOW_CIDRS.split(',')
          .map((c) => c.trim())
          .filter(Boolean),
        maxRequests: env.FETCH_MAX_REQUESTS,
        timeoutMs: env.FETCH_TIMEOUT,
        maxResponseBytes: env.FETCH_MAX_RESPONSE_BYTES,
        maxRedirects: env.FETCH_MAX_REDIRECTS,
      },
      secrets: { key: env.SECRETS_KEY, previousKey: env.SECRETS_KEY_PREVIOUS },
      model: {
        maxTokensPerCall: env.MODEL_MAX_TOKENS_PER_CALL,
        maxTokensPerDay: env.MODEL_MAX_TOKENS_PER_DAY,
        timeoutMs: env.MODEL_TIMEOUT,
      },
    },
    /**
     * After an activation, the new version is watched for windowMs by the cluster's analyser; once it has
     * minCalls calls, an error rate above the predecessor's plus threshold (e.g. 0.2 = 20 points) rolls it back.
     */
    canary: {
      enabled: env.CANARY_ENABLED,
      windowMs: env.CANARY_WINDOW,
      minCalls: env.CANARY_MIN_CALLS,
      threshold: env.CANARY_THRESHOLD,
      /** Failures from fewer callers than this never roll back: one caller cannot undo an activation. */
      minDistinctCallers: env.CANARY_MIN_DISTINCT_CALLERS,
    },
    rollout: {
      pinnedVersions: env.ROLLOUT_PINNED_VERSIONS,
      reportIntervalMs: env.ROLLOUT_REPORT_INTERVAL,
      analysisIntervalMs: env.ROLLOUT_ANALYSIS_INTERVAL,
      leaseTtlMs: env.ROLLOUT_LEASE_TTL,
    },
    integrations: {
      /** `<provider>` or `<provider>:<model>`: claude-cli, codex-cli, anthropic, openai-compatible. */
      agentModel: env.AGENT_MODEL,
      agent: {
        enabled: env.AGENT_ENABLED,
        concurrency: env.AGENT_CONCURRENCY,
        jobAttempts: env.AGENT_JOB_ATTEMPTS,
        maxAttempts: env.AGENT_MAX_ATTEMPTS,
        /** Improvements per module per day. */
        dailyLimit: env.AGENT_DAILY_LIMIT,
        timeBudgetMs: env.AGENT_TIME_BUDGET,
        costBudgetUsd: env.AGENT_COST_BUDGET_USD,
        /** Recent runtime errors of the module shown to the model. */
        recentErrors: env.AGENT_RECENT_ERRORS,
        /** Candidates of one round at once. */
        candidateConcurrency: env.AGENT_CANDIDATE_CONCURRENCY,
        dailyCostUsd: env.AGENT_DAILY_COST_USD,
        patience: env.AGENT_PATIENCE,
        prices: env.AGENT_PRICES,
        maxOutputTokens: env.AGENT_MAX_OUTPUT_TOKENS,
        sweepIntervalMs: env.AGENT_SWEEP_INTERVAL,
      },
      selfHeal: {
        enabled: env.SELF_HEAL_ENABLED,
        windowMs: env.SELF_HEAL_WINDOW,
        minCalls: env.SELF_HEAL_MIN_CALLS,
        threshold: env.SELF_HEAL_THRESHOLD,
        cooldownMs: env.SELF_HEAL_COOLDOWN,
      },
      cliTimeoutMs: env.CLI_TIMEOUT,
      /** CLI processes at once per node; up to cliQueueLimit more calls wait, beyond that `model_busy`. */
      cliMaxConcurrent: env.CLI_MAX_CONCURRENT,
      cliQueueLimit: env.CLI_QUEUE_LIMIT,
      claude: {
        cliPath: env.CLAUDE_CLI_PATH,
        defaultModel: env.CLAUDE_DEFAULT_MODEL,
        maxTokens: env.CLAUDE_MAX_TOKENS,
        apiUrl: env.CLAUDE_API_URL,
        home: env.CLAUDE_HOME,
        /** A secret: never logged. */
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
      /** Where the CLI logins are looked for by default (`~/.claude`, `~/.codex`); the children get a private HOME. */
      serviceHome: env.HOME,
      /** What the CLI children inherit from our environment: PATH and proxy settings, when set. */
      cliEnv: Object.fromEntries(
        CLI_ENV.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])),
      ) as Record<string, string>,
    },
    pipeline: {
      concurrency: env.PIPELINE_CONCURRENCY,
      /**
       * A submission runs on the node that received it, with the rows it has just written; its job waits
       * delayed by lockDurationMs (renewed while the run lasts), so another node runs it if this one dies.
       */
      localRun: env.PIPELINE_LOCAL_RUN,
      attempts: env.PIPELINE_ATTEMPTS,
      backoffMs: env.PIPELINE_BACKOFF,
      /** Past it a submission answers anyway; the sweeper enqueues it once Redis is back. */
      enqueueTimeoutMs: env.PIPELINE_ENQUEUE_TIMEOUT,
      sweepIntervalMs: env.PIPELINE_SWEEP_INTERVAL,
      maxSourceBytes: env.PIPELINE_MAX_SOURCE_BYTES,
      replaySample: env.PIPELINE_REPLAY_SAMPLE,
      replayPerCaller: env.PIPELINE_REPLAY_PER_CALLER,
      maxCasesPerModule: env.CASES_MAX_PER_MODULE,
      /** A job whose worker died is retried once its lock (this long) expires, checked every stalledIntervalMs. */
      lockDurationMs: env.PIPELINE_LOCK_DURATION,
      stalledIntervalMs: env.PIPELINE_STALLED_INTERVAL,
      /** Untrusted output copied anywhere but the invoke answer is a preview of this many bytes per value. */
      previewBytes: env.PIPELINE_PREVIEW_BYTES,
      reportMaxBytes: env.PIPELINE_REPORT_MAX_BYTES,
    },
  };
}

/** Config is frozen at load: every level read-only, arrays included. */
type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The frozen configuration every lib reads; `version` is the only part not from the environment. */
export type AppConfig = DeepReadonly<z.output<typeof configSchema> & { version: string }>;

/** Limits of one sandboxed module; config holds the defaults, module settings may override them. */
export type SandboxLimits = Omit<AppConfig['sandbox'], 'poolSize'>;

export type CanaryPolicy = AppConfig['canary'];

export type CapabilitiesConfig = AppConfig['capabilities'];

export type IntegrationsConfig = AppConfig['integrations'];
