import { z } from 'zod';

/**
 * Every environment variable the service reads: its parsing, its default and its meaning (`.describe()`),
 * grouped in the sections docs/configuration.md shows. Two extra metadata keys feed that page: `unit` (shown
 * after the default) and `unset` (what an unset variable means, where that is decided at start rather than
 * by a default here).
 */

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const ms = (fallback: number, min = 0) => int(fallback, min).meta({ unit: 'ms' });
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
const unset = (text: string) => ({ unset: text });
/** A credential: deleted from process.env once read (scrubSecretsFromProcessEnv), so no child can inherit it. */
const secret = { secret: true } as const;

const server = {
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe(
      '`production` turns on the production rules (listen on all interfaces, `API_TOKENS` and `METRICS_TOKEN` required, JSON logs)',
    ),
  PORT: int(4000).pipe(z.number().max(65535)).describe('HTTP port'),
  HOST: optionalText.meta(unset('`127.0.0.1`, `0.0.0.0` in production')).describe('listen address'),
  HTTP_SERVER_ENABLED: bool(true).describe('`false` runs workers and reconciliation without HTTP'),
  REQUEST_TIMEOUT: ms(30000, 100).describe('bound on receiving a request and on a handler'),
  BODY_LIMIT_BYTES: int(2 * 1024 * 1024, 1024).describe('larger bodies get 413'),
  HTTP_MAX_JSON_DEPTH: int(64, 1).describe('deeper nesting of a JSON body or query gets 400 `json_too_deep`'),
  HTTP_DIFF_MAX_EDIT_LENGTH: int(1000, 1).describe(
    '`?diff=parent` between sources differing by more lines than this gets 422 `diff_too_large`',
  ),
  HTTP_DIFF_TIMEOUT: ms(500, 1).describe('time budget of one `?diff=parent`; past it 422 `diff_too_large`'),
  EVENTS_HEARTBEAT: ms(15000, 100).describe('heartbeat interval of `/events`'),
  EVENTS_MAX_STREAMS: int(1000, 1).describe(
    'open event streams (`/events`, streamed chat) per node; more get 429',
  ),
  EVENTS_MAX_STREAMS_PER_TOKEN: int(10, 1).describe('open event streams per token, per node; more get 429'),
  EVENTS_MAX_BUFFER_BYTES: int(1_048_576, 1024).describe(
    'unsent bytes a stream may hold; a reader that falls further behind is disconnected',
  ),
  EVENTS_MAX_EVENT_BYTES: int(16_384, 2048).describe(
    'larger events are sent as a preview (`truncated: true`)',
  ),
  SHUTDOWN_TIMEOUT: ms(10000, 100).describe('bound on graceful shutdown; workers get half of it'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('`fatal`…`trace`, `silent`'),
};

const access = {
  API_TOKENS: optionalText
    .meta({ ...unset('generated admin token (not in production)'), ...secret })
    .describe('`name:role:secret` or `name:role:sha256:<hex>`, comma-separated'),
  METRICS_TOKEN: optionalText
    .meta(secret)
    .describe('bearer token for `/metrics` (open when unset; required in production)'),
  RATE_LIMIT_PER_MINUTE: int(1200, 1).describe('control-plane requests per token per minute, per node'),
  RATE_LIMIT_BURST: int(200, 1).describe('room for bursts above that rate, per token, per node'),
  INVOKE_RATE_LIMIT_PER_MINUTE: int(0).describe(
    "invocations per token per minute, per node, with room for ten seconds of them in a burst (`0`: off; invocations are bounded by each module's concurrency and queue)",
  ),
  RATE_LIMIT_PUBLIC_PER_MINUTE: int(600, 1).describe(
    'requests per client address per minute to the public routes (`/health*`, `/metrics`), per node',
  ),
  RATE_LIMIT_PUBLIC_BURST: int(100, 1).describe('room for bursts above that rate, per address, per node'),
};

const storage = {
  DATABASE_URL: url(['postgres', 'postgresql'])
    .meta({ ...unset('embedded PGlite in `DATA_DIR/pg`'), ...secret })
    .describe('PostgreSQL URL'),
  REDIS_URL: url(['redis', 'rediss'])
    .meta({ ...unset('embedded `redis-server` in `DATA_DIR/redis`'), ...secret })
    .describe('Redis URL (`redis://` or `rediss://`)'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/, 'letters, digits, : _ - only')
    .default('seed')
    .describe('namespace of every Redis key, queue and channel'),
  DATA_DIR: z.string().min(1).default('./data').describe('node-local files (`/data` in the deployments)'),
  CODE_DIR: optionalText.meta(unset('`DATA_DIR/code`')).describe('per-node cache of compiled artifacts'),
  MIGRATIONS_RUN: bool(true).describe('run migrations at boot (under an advisory lock)'),
};

const cluster = {
  NODE_NAME: optionalText
    .meta(unset('`FLY_MACHINE_ID`, else the host name'))
    .describe("this node's name in presence, logs and events"),
  DNS_CLUSTER_QUERY: optionalText.describe(
    'DNS name of the peers (Fly `<app>.internal`, Kubernetes headless service): polled to report missing or unexpected peers',
  ),
  CLUSTER_POLL_INTERVAL: ms(5000, 100).describe('presence heartbeat interval'),
  CLUSTER_PRESENCE_TTL: ms(15000, 1000).describe(
    'a node missing its heartbeats this long is gone (at least 3 intervals)',
  ),
  RECONCILE_INTERVAL: ms(30000, 100).describe('periodic reconciliation with PostgreSQL'),
  FLY_MACHINE_ID: optionalText.meta(unset('set by Fly')).describe('node identity on Fly'),
  FLY_REGION: optionalText.meta(unset('set by Fly')).describe('region on Fly'),
  FLY_PRIVATE_IP: optionalText.meta(unset('set by Fly')).describe('private address on Fly'),
  NODE_REGION: optionalText.describe('region elsewhere (Kubernetes: from the pod); wins over `FLY_REGION`'),
  NODE_ADDRESS: optionalText.describe(
    'address elsewhere (Kubernetes: from the pod); wins over `FLY_PRIVATE_IP`',
  ),
};

const health = {
  HEALTH_CHECK_TIMEOUT: ms(2000, 50).describe('bound on each health check'),
  HEALTH_DISK_WARN_MB: int(1024).describe('free space on `CODE_DIR` below which health warns'),
  HEALTH_DISK_MIN_MB: int(100).describe('free space on `CODE_DIR` below which health fails'),
  HEALTH_HEAP_WARN_MB: int(768).describe('heap used above which health warns'),
  HEALTH_HEAP_MAX_MB: int(1536).describe('heap used above which health fails'),
  HEALTH_RSS_WARN_MB: int(1024).describe('RSS above which health warns'),
  HEALTH_RSS_MAX_MB: int(2048).describe('RSS above which health fails'),
  HEALTH_QUEUE_WARN: int(100).describe('unfinished improvement jobs above which health warns'),
  HEALTH_QUEUE_MAX: int(1000).describe('unfinished improvement jobs above which health fails'),
};

const sandbox = {
  SANDBOX_MEMORY_MB: int(64, 8).describe('isolate heap limit per loaded version'),
  SANDBOX_CPU_TIMEOUT: ms(1000, 1).describe('CPU time per call'),
  SANDBOX_WALL_TIMEOUT: ms(5000, 1).describe('wall-clock time per call'),
  SANDBOX_CONCURRENCY: int(8, 1).describe('calls running at once per module version'),
  SANDBOX_QUEUE_LIMIT: int(64, 0).describe('calls waiting beyond that; more get 429'),
  SANDBOX_MAX_OUTPUT_BYTES: int(1_048_576, 1).describe('output JSON size limit'),
  SANDBOX_MAX_LOG_BYTES: int(16_384, 0).describe('captured `ctx.log` bytes per call'),
  SANDBOX_MAX_LOG_LINES: int(100, 0).describe('captured `ctx.log` lines per call'),
  SANDBOX_POOL_SIZE: int(2, 0).describe('pre-created isolates (default memory limit), 0 for none'),
};

const capabilities = {
  SANDBOX_MAX_CAPABILITY_CALLS: int(100, 1).describe(
    'capability calls (`ctx.kv`, `ctx.call`, ...) per invocation',
  ),
  SANDBOX_MAX_CALL_DEPTH: int(4, 1).describe(
    '`ctx.call` nesting: modules on one call chain, the first included',
  ),
  KV_MAX_KEY_BYTES: int(512, 1).describe('longest `ctx.kv` key (UTF-8)'),
  KV_MAX_VALUE_BYTES: int(65_536, 1).describe("largest `ctx.kv` value's JSON"),
  KV_MAX_KEYS: int(1000, 1).describe('keys per module unless its grant says `kv.maxKeys`'),
  KV_MAX_BYTES: int(1_048_576, 1).describe(
    'bytes of keys and values per module unless its grant says `kv.maxBytes`',
  ),
  KV_LIST_LIMIT: int(1000, 1).describe('entries one `ctx.kv.list` returns'),
  KV_TIMEOUT: ms(2000, 1).describe(
    'bound on one kv query; past it the call fails with `capability_unavailable`',
  ),
  FETCH_ALLOW_CIDRS: z
    .string()
    .default('')
    .refine(
      (v) =>
        v
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean)
          .every((c) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(c)),
      'must be comma-separated CIDRs such as 127.0.0.1/32',
    )
    .describe(
      'address ranges `ctx.fetch` may reach besides global unicast (loopback, private, ...); empty: none. Tests use `127.0.0.1/32`',
    ),
  FETCH_MAX_REQUESTS: int(10, 1).describe(
    '`ctx.fetch` requests per invocation unless the grant says `fetch.maxRequests`',
  ),
  FETCH_TIMEOUT: ms(10_000, 1).describe(
    'one `ctx.fetch`, redirects included, unless the grant says `fetch.timeoutMs`',
  ),
  FETCH_MAX_RESPONSE_BYTES: int(1_048_576, 1).describe(
    'largest `ctx.fetch` response body unless the grant says `fetch.maxResponseBytes`',
  ),
  SECRETS_KEY: optionalText
    .refine((v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v), 'must be 64 hex characters (32 bytes)')
    .meta({
      ...unset('the secrets routes answer 503; production refuses to start while secrets exist'),
      ...secret,
    })
    .describe('AES-256-GCM key of module secrets, the same on every node (`openssl rand -hex 32`)'),
  SECRETS_KEY_PREVIOUS: optionalText
    .refine((v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v), 'must be 64 hex characters (32 bytes)')
    .meta(secret)
    .describe('the key before a rotation: secrets sealed with it still open, and are resealed when written'),
  MODEL_MAX_TOKENS_PER_CALL: int(1024, 1).describe(
    '`ctx.model.generate` output tokens per call unless the grant says `model.maxTokensPerCall`',
  ),
  MODEL_MAX_TOKENS_PER_DAY: int(100_000, 1).describe(
    "a module's model tokens per UTC day unless the grant says `model.maxTokensPerDay`",
  ),
  MODEL_TIMEOUT: ms(60_000, 1).describe(
    "one `ctx.model.generate`; the module's wall-clock timeout still applies",
  ),
  FETCH_MAX_REDIRECTS: int(5, 0).describe(
    'redirects one `ctx.fetch` follows (each within the granted origins)',
  ),
};

const pipeline = {
  PIPELINE_CONCURRENCY: int(4, 1).describe('pipeline jobs per node at once'),
  PIPELINE_LOCAL_RUN: bool(true).describe(
    'run a submission on the node that received it (up to PIPELINE_CONCURRENCY at once), its job kept as a delayed crash record',
  ),
  PIPELINE_ATTEMPTS: int(5, 1).describe('attempts of a job failing on infrastructure errors'),
  PIPELINE_BACKOFF: ms(1000, 1).describe('first retry delay, doubled on each attempt'),
  PIPELINE_ENQUEUE_TIMEOUT: ms(3000, 1).describe(
    'bound on enqueueing a submission; past it the sweeper enqueues it later',
  ),
  PIPELINE_SWEEP_INTERVAL: ms(30000, 100).describe('re-enqueue of orphaned submissions'),
  PIPELINE_MAX_SOURCE_BYTES: int(1_048_576, 1).describe('source size gate'),
  PIPELINE_REPLAY_SAMPLE: int(20, 0).describe(
    'recent real inputs kept per module and replayed against candidates',
  ),
  PIPELINE_REPLAY_PER_CALLER: int(5, 1).describe(
    'replayed inputs kept per caller (token), so one caller cannot fill the sample',
  ),
  CASES_MAX_PER_MODULE: int(200, 1).describe("test cases in a module's suite at most (409 `too_many_cases`)"),
  PIPELINE_LOCK_DURATION: ms(30000, 1000).describe(
    'a job whose worker died is retried once its lock expires',
  ),
  PIPELINE_STALLED_INTERVAL: ms(30000, 1000).describe('how often expired job locks are checked'),
  // Module output, inputs and messages copied anywhere but the invoke answer are previews with their size.
  PIPELINE_PREVIEW_BYTES: int(2048, 64).describe(
    'bytes kept of each untrusted value in reports, jobs, events and prompts',
  ),
  PIPELINE_REPORT_MAX_BYTES: int(65_536, 1024).describe(
    'bound on a stored test report (later cases lose details, then go)',
  ),
};

const canary = {
  CANARY_ENABLED: bool(true).describe(
    "watch each activation cluster-wide and roll back on a rise against the predecessor (a module's settings may override it)",
  ),
  CANARY_WINDOW: ms(60000, 100).describe("how long a new version is watched (the watch's `intervalMs`)"),
  CANARY_MIN_CALLS: int(20, 1).describe('calls needed before the watch judges'),
  CANARY_MIN_DISTINCT_CALLERS: int(2, 1).describe(
    'callers (tokens) whose calls failed, needed before the watch rolls back',
  ),
  CANARY_THRESHOLD: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe(
      "error rate above the predecessor's plus this (0.2 = 20 points) rolls back (`maxErrorRateDelta`)",
    ),
};

const priceTableSchema = z.record(
  z.string(),
  z.object({ input: z.number().min(0), output: z.number().min(0) }).strict(),
);
const rollout = {
  ROLLOUT_PINNED_VERSIONS: int(2, 0).describe(
    'versions a node keeps loaded for `Seed-Version` pins, beyond the active, the old and the canary one',
  ),
  ROLLOUT_REPORT_INTERVAL: ms(1000, 50).describe("how often a node adds its rollout counts to Redis's"),
  ROLLOUT_ANALYSIS_INTERVAL: ms(1000, 50).describe(
    'how often the analyser looks for steps whose interval is over',
  ),
  ROLLOUT_LEASE_TTL: ms(10000, 200).describe(
    "the analyser's Redis lease: another node takes over this long after the holder stops renewing",
  ),
};

const agent = {
  AGENT_MODEL: z
    .string()
    .trim()
    .min(1)
    .default('claude-cli:sonnet')
    .describe('default model spec: `claude-cli`, `codex-cli`, `anthropic`, `openai-compatible` `[:model]`'),
  AGENT_ENABLED: bool(true).describe('`false` stops all agent work'),
  AGENT_CONCURRENCY: int(4, 1).describe('improvement runs per node at once'),
  AGENT_JOB_ATTEMPTS: int(3, 1).describe(
    "deliveries of one improvement run's job after infrastructure errors (a retry resumes the run at its round)",
  ),
  AGENT_MAX_ATTEMPTS: int(3, 1)
    .pipe(z.number().max(20))
    .describe('default and maximum rounds per improvement run (`rounds`, else `maxAttempts`)'),
  AGENT_DAILY_LIMIT: int(50, 0).describe('improvement runs per module per UTC day (0: no limit)'),
  AGENT_TIME_BUDGET: ms(300000, 1000).describe('default time budget per improvement run (`budget.maxMs`)'),
  AGENT_COST_BUDGET_USD: z.coerce
    .number()
    .min(0)
    .default(1)
    .describe('default cost budget per improvement run (`budget.maxCostUsd`; 0: no limit)'),
  AGENT_RECENT_ERRORS: int(10, 0).describe('failing calls per module shown to the model'),
  AGENT_CANDIDATE_CONCURRENCY: int(4, 1)
    .pipe(z.number().max(8))
    .describe('candidates of one improvement round generated and evaluated at once (at most 8)'),
  AGENT_DAILY_COST_USD: z.coerce
    .number()
    .min(0)
    .default(0)
    .describe('model spend per module per UTC day across improvement runs (0: no limit)'),
  AGENT_MAX_OUTPUT_TOKENS: int(16384, 1).describe(
    "the most a candidate's call to a priced model (AGENT_PRICES) may answer: what bounds its worst-case cost",
  ),
  AGENT_SWEEP_INTERVAL: ms(30000, 100).describe(
    'how often a node ends running improvement runs whose queue job is gone or ended (`job_lost`)',
  ),
  AGENT_PATIENCE: int(2, 0).describe(
    'rounds in a row without a better utility before a run stops with `no_progress` (0: never)',
  ),
  AGENT_PRICES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return priceTableSchema.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'must be JSON {"<model spec>": {"input": usd, "output": usd}} per million tokens',
        });
        return z.NEVER;
      }
    })
    .describe(
      'USD per million tokens by model spec, JSON `{"openai-compatible:gpt-x": {"input": 2, "output": 8}}`, for models that report no cost',
    ),
  SELF_HEAL_ENABLED: bool(false).describe('start improvement runs when a module keeps failing'),
  SELF_HEAL_WINDOW: ms(300000, 1000).describe('window over which a module counts as failing'),
  SELF_HEAL_MIN_CALLS: int(20, 1).describe('calls in the window needed to judge'),
  SELF_HEAL_THRESHOLD: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('error rate that counts as failing'),
  SELF_HEAL_COOLDOWN: ms(3600000, 1000).describe('least time between two self-heal runs of a module'),
};

const models = {
  CLI_TIMEOUT: ms(120000, 100).describe('a CLI model call is killed after this'),
  CLI_MAX_CONCURRENT: int(4, 1).describe('CLI model processes running at once per node'),
  CLI_QUEUE_LIMIT: int(32, 0).describe('CLI model calls waiting beyond that; more get 429 `model_busy`'),
  CLAUDE_CLI_PATH: z.string().min(1).default('claude').describe('the Claude Code CLI'),
  CLAUDE_DEFAULT_MODEL: z.string().min(1).default('sonnet').describe('default model of the Claude Code CLI'),
  CLAUDE_MAX_TOKENS: z.coerce.number().int().min(1).optional().describe('output token cap'),
  CLAUDE_API_URL: url(['http', 'https']).describe('API base URL (proxy, gateway)'),
  CLAUDE_HOME: optionalText.describe('a logged-in `.claude` directory (or a home containing one)'),
  CLAUDE_CODE_OAUTH_TOKEN: optionalText
    .meta(secret)
    .describe('Claude Code login token (a secret, passed to the CLI only)'),
  CODEX_CLI_PATH: z.string().min(1).default('codex').describe('the Codex CLI'),
  CODEX_DEFAULT_MODEL: optionalText.meta(unset('the CLI default')).describe('default model of the Codex CLI'),
  CODEX_SANDBOX: z
    .enum(['read-only', 'workspace-write', 'danger-full-access'])
    .default('read-only')
    .describe('sandbox mode of the Codex CLI'),
  CODEX_HOME: optionalText.meta(unset('`~/.codex`')).describe('a logged-in Codex home (its `auth.json`)'),
  ANTHROPIC_API_KEY: optionalText.meta(secret).describe('for `anthropic:<model>`'),
  OPENAI_COMPATIBLE_BASE_URL: url(['http', 'https']).describe('for `openai-compatible:<model>`'),
  OPENAI_COMPATIBLE_API_KEY: optionalText.meta(secret).describe('for `openai-compatible:<model>`'),
};

const childEnvironment = {
  PATH: optionalText.meta(unset("the process's")).describe('passed to CLI children'),
  HOME: optionalText
    .meta(unset("the process's"))
    .describe('where the CLI logins are found by default; each CLI call gets a private, empty HOME'),
  HTTPS_PROXY: optionalText.describe('passed to CLI children'),
  HTTP_PROXY: optionalText.describe('passed to CLI children'),
  NO_PROXY: optionalText.describe('passed to CLI children'),
};

export interface EnvSection {
  readonly title: string;
  /** One sentence shown under the title. */
  readonly about: string;
  readonly variables: Readonly<Record<string, z.ZodType>>;
}

/** The sections of docs/configuration.md, in order; envSchema is their variables together. */
export const ENV_SECTIONS = [
  { title: 'Server', about: 'The HTTP server and the process.', variables: server },
  { title: 'Access', about: 'Who may call the API, and how often.', variables: access },
  { title: 'Storage', about: 'PostgreSQL, Redis and node-local files.', variables: storage },
  { title: 'Cluster', about: 'Node identity, presence and peer discovery.', variables: cluster },
  { title: 'Health', about: 'Readiness and deep health thresholds.', variables: health },
  {
    title: 'Sandbox',
    about: "Default limits of a sandboxed module; a module's settings may override them.",
    variables: sandbox,
  },
  {
    title: 'Capabilities',
    about:
      "Bounds of what a module may reach (docs/capabilities.md); a module's grant may narrow some of them.",
    variables: capabilities,
  },
  { title: 'Pipeline', about: 'The cascade that turns a submission into a version.', variables: pipeline },
  { title: 'Canary', about: 'The watch after an activation.', variables: canary },
  {
    title: 'Rollouts',
    about: 'Traffic splits, version pins and the cluster-wide analysis (docs/rollouts.md).',
    variables: rollout,
  },
  { title: 'Agent and self-healing', about: 'The improving agent and its budgets.', variables: agent },
  { title: 'Models', about: 'The CLIs and providers the agent and chat completions use.', variables: models },
  {
    title: 'CLI children',
    about: 'The only variables the CLI children inherit (a minimal environment), and where their logins are.',
    variables: childEnvironment,
  },
] as const satisfies readonly EnvSection[];

/** The union of the sections' variable maps as one map type (what spreading them all would give). */
type AllVariables = (
  (typeof ENV_SECTIONS)[number]['variables'] extends infer S
    ? S extends unknown
      ? (s: S) => void
      : never
    : never
) extends (s: infer Merged) => void
  ? Merged
  : never;

export const envSchema = z.object(
  Object.assign({}, ...ENV_SECTIONS.map((section) => section.variables)) as AllVariables,
);

export type Env = z.infer<typeof envSchema>;
