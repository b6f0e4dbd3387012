import { z } from 'zod';

export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * An origin ctx.fetch may reach (a grant's, a secret's): `http(s)://host[:port]`, nothing else — a path, a query or
 * credentials would suggest a narrower grant than an origin is. Stored as the URL's own origin.
 */
export const originSchema = z
  .string()
  .max(2048)
  .transform((raw, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    const problem = !url
      ? 'is not a URL'
      : url.protocol !== 'http:' && url.protocol !== 'https:'
        ? 'must be http: or https:'
        : url.username || url.password
          ? 'must not carry credentials'
          : (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash
            ? 'must be an origin alone (no path, query or fragment)'
            : undefined;
    if (!url || problem) {
      ctx.addIssue({ code: 'custom', message: `origin ${JSON.stringify(raw.slice(0, 100))} ${problem}` });
      return z.NEVER;
    }
    return url.origin;
  });

/**
 * Grants. Every sub-field is optional; the defaults (DEFAULT_GRANT_LIMITS in @seed/capabilities) are documented
 * in docs/capabilities.md. An empty object grants the capability with those defaults.
 */
export const capabilityGrantsSchema = z
  .object({
    /** modules this one may call with ctx.call */
    call: z.array(z.string().regex(MODULE_NAME_PATTERN)).max(64),
    kv: z
      .object({
        maxKeys: z.number().int().min(1).max(1_000_000),
        maxBytes: z
          .number()
          .int()
          .min(1)
          .max(1024 * 1024 * 1024),
      })
      .partial()
      .strict(),
    fetch: z
      .object({
        origins: z.array(originSchema).max(64),
        maxRequests: z.number().int().min(1).max(1000),
        timeoutMs: z.number().int().min(1).max(600_000),
        maxResponseBytes: z
          .number()
          .int()
          .min(1)
          .max(64 * 1024 * 1024),
      })
      .partial()
      .strict(),
    model: z
      .object({
        model: z.string().min(1).max(200),
        maxTokensPerCall: z.number().int().min(1).max(1_000_000),
        maxTokensPerDay: z.number().int().min(1).max(1_000_000_000),
      })
      .partial()
      .strict(),
    secrets: z.array(z.string().regex(SECRET_NAME)).max(64),
  })
  .partial()
  .strict();

export type CapabilityGrants = z.infer<typeof capabilityGrantsSchema>;

/** Per-module overrides; anything unset falls back to the config defaults. */
export const moduleSettingsSchema = z
  .object({
    limits: z
      .object({
        memoryMb: z.number().int().min(8).max(4096),
        cpuTimeoutMs: z.number().int().min(1).max(600_000),
        wallTimeoutMs: z.number().int().min(1).max(600_000),
        concurrency: z.number().int().min(1).max(1024),
        queueLimit: z.number().int().min(0).max(100_000),
        maxOutputBytes: z
          .number()
          .int()
          .min(1)
          .max(64 * 1024 * 1024),
        maxLogBytes: z
          .number()
          .int()
          .min(0)
          .max(1024 * 1024),
        maxLogLines: z.number().int().min(0).max(100_000),
      })
      .partial()
      .strict(),
    /** Candidates submitted with `activate: true` go live when every gate passes. */
    autoActivate: z.boolean(),
    /** Agent candidates stop at `ready` until an admin activates them. */
    requireApproval: z.boolean(),
    /** Automatic rollback when a new version's error rate jumps (defaults from CANARY_*). */
    canary: z
      .object({
        enabled: z.boolean(),
        windowMs: z.number().int().min(100).max(86_400_000),
        minCalls: z.number().int().min(1).max(1_000_000),
        threshold: z.number().min(0).max(1),
        /** Failures must come from this many callers (tokens) before a rollback (default CANARY_MIN_DISTINCT_CALLERS). */
        minDistinctCallers: z.number().int().min(1).max(1_000_000),
        /** `false`: a version an admin activated (or submitted) is never rolled back automatically. */
        rollbackAdminActivations: z.boolean(),
      })
      .partial()
      .strict(),
    /**
     * How a version's score becomes one utility (admin only): correctness first, then these weighted terms
     * (SICA-style). Each term is 1 at zero and falls to 0 at its reference value; the weights sum to at most 0.5.
     */
    objective: z
      .object({
        latencyWeight: z.number().min(0).max(0.5),
        sizeWeight: z.number().min(0).max(0.5),
        capabilityWeight: z.number().min(0).max(0.5),
        latencyRefMs: z.number().positive().max(600_000),
        sizeRefBytes: z
          .number()
          .int()
          .positive()
          .max(16 * 1024 * 1024),
        capabilityRefCalls: z.number().int().positive().max(1_000_000),
      })
      .partial()
      .strict()
      .refine((o) => (o.latencyWeight ?? 0) + (o.sizeWeight ?? 0) + (o.capabilityWeight ?? 0) <= 0.5, {
        message: 'the objective weights sum to at most 0.5: correctness keeps at least half the utility',
      }),
    /**
     * Activation policy beyond the gates: a candidate's utility must not fall below the active version's by
     * more than `utilityMargin` (both scored on the same cases in one run); latencies within
     * `latencyTolerance` (a fraction of the active version's) count as equal, since measurements are noisy.
     */
    policy: z
      .object({
        utilityMargin: z.number().min(0).max(1),
        latencyTolerance: z.number().min(0).max(10),
      })
      .partial()
      .strict(),
    /** The improving agent (POST /modules/:name/improve, self-healing); `enabled: false` refuses all its work. */
    agent: z.object({ enabled: z.boolean() }).partial().strict(),
    /** What the module may reach (docs/capabilities.md); absent members are `undefined` in ctx. Admins only. */
    capabilities: capabilityGrantsSchema,
  })
  .partial()
  .strict();

export type ModuleSettings = z.infer<typeof moduleSettingsSchema>;
