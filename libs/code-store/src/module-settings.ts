import { z } from 'zod';

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
    /** The improving agent (POST /modules/:name/improve, self-healing); `enabled: false` refuses all its work. */
    agent: z.object({ enabled: z.boolean() }).partial().strict(),
  })
  .partial()
  .strict();

export type ModuleSettings = z.infer<typeof moduleSettingsSchema>;

export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
