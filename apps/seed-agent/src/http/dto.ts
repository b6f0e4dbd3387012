import {
  caseFixturesSchema,
  MODULE_NAME_PATTERN,
  moduleSettingsSchema,
  ROLLOUT_KINDS,
  toVersionRef,
  VERSION_STATUSES,
  type VersionRef,
} from '@seed/code-store';
import { LATENCY_DEFAULTS } from '@seed/rollout';
import { z } from 'zod';
import { VERSION_REF_HINT } from './route-params.js';

/** Request schemas: one definition validates the bodies and generates the OpenAPI document. */

const json = z.json();

/** A version named in a body or query, as routes name it: id, seq, `active` or `latest`. */
export const versionRefSchema = z
  // a body may name a sequence number as a JSON number (`{"versionId": 3}`)
  .union([
    z.string().max(64),
    z
      .number()
      .int()
      .positive()
      .max(2 ** 31 - 1),
  ])
  .describe(VERSION_REF_HINT)
  .transform((raw, ctx): VersionRef => {
    const ref = toVersionRef(String(raw));
    if (ref) return ref;
    ctx.addIssue({ code: 'custom', message: `${VERSION_REF_HINT} is expected` });
    return z.NEVER;
  });

export const testCaseSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    input: json,
    /** Omit to only require that the module does not throw. */
    expect: json.optional(),
    /** Run in the cascade's first, cheap stage. */
    smoke: z.boolean().optional(),
    /** Held out (admin only): the agent role and prompts never see it; results show counts only. */
    hidden: z.boolean().optional(),
    /** Judged by an evaluator module's pinned version: passes when its score reaches the threshold. */
    evaluator: z
      .object({
        module: z.string().regex(MODULE_NAME_PATTERN),
        /** any version reference; stored as the id it names when the case is added */
        versionId: versionRefSchema,
        threshold: z.number().min(0).max(1),
      })
      .strict()
      .optional(),
    /** What the case's capability calls get instead of the world (docs/capabilities.md). */
    fixtures: caseFixturesSchema.optional(),
  })
  .strict();

/** Two cases of one body with the same name would collide in the store's unique index: refused up front. */
export function distinctTestNames(cases: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  cases.forEach((c, index) => {
    if (seen.has(c.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `duplicate test name ${JSON.stringify(c.name)}`,
      });
    }
    seen.add(c.name);
  });
}

export const testCasesSchema = z.array(testCaseSchema).max(1000).superRefine(distinctTestNames);

export const createModuleSchema = z
  .object({
    name: z
      .string()
      .regex(MODULE_NAME_PATTERN, 'lowercase letters, digits and dashes, starting with a letter, at most 63'),
    source: z.string().min(1),
    tests: testCasesSchema.default([]),
    settings: moduleSettingsSchema.default({}),
    /** `evaluator`: a module that scores other modules' cases (agents cannot submit to it, viewers cannot invoke it). */
    kind: z.enum(['module', 'evaluator']).default('module'),
  })
  .strict();

/** One case or several. */
export const addTestsSchema = z.union([testCasesSchema, testCaseSchema]);

export const submitVersionSchema = z
  .object({
    source: z.string().min(1),
    rationale: z.string().max(10_000).optional(),
    parentVersionId: versionRefSchema.optional(),
    activate: z.boolean().default(false),
    dryRun: z.boolean().default(false),
  })
  .strict();

export const activateSchema = z.object({ versionId: versionRefSchema }).strict();
export const rollbackSchema = z.object({ versionId: versionRefSchema.optional() }).strict();

export const invokeSchema = z
  .object({
    input: json.default(null),
    debug: z.boolean().default(false),
  })
  .strict();

export const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `?kind=watch` lists the watches after activations instead of rollouts. */
export const rolloutListSchema = pageSchema.extend({ kind: z.enum(ROLLOUT_KINDS).default('rollout') });
export type RolloutListQuery = z.infer<typeof rolloutListSchema>;

export const versionListSchema = pageSchema.extend({ status: z.enum(VERSION_STATUSES).optional() });
export type VersionListQuery = z.infer<typeof versionListSchema>;

/** `?diff=parent`, or a diff against any version of the module. */
export const versionQuerySchema = z.object({
  diff: z.union([z.literal('parent'), versionRefSchema]).optional(),
});

export type TestCaseBody = z.infer<typeof testCaseSchema>;
export type CreateModuleBody = z.infer<typeof createModuleSchema>;
export type SubmitVersionBody = z.infer<typeof submitVersionSchema>;
export type PageQuery = z.infer<typeof pageSchema>;

export function toNewTestCase(c: TestCaseBody) {
  return {
    name: c.name,
    input: c.input,
    hasExpected: 'expect' in c,
    expected: c.expect,
    ...(c.smoke ? { smoke: true } : {}),
    ...(c.hidden ? { hidden: true } : {}),
    ...(c.evaluator ? { evaluator: c.evaluator } : {}),
    ...(c.fixtures ? { fixtures: c.fixtures } : {}),
  };
}

/** Every field but versionId has a default; docs/rollouts.md explains each. */
export const rolloutAnalysisSchema = z
  .object({
    minCalls: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(100)
      .describe('canary calls a step needs to be judged'),
    maxErrorRateDelta: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe("how far the canary's module-fault rate may exceed the stable one's (0.05 = 5 points)"),
    maxLatencyRatio: z
      .number()
      .min(1)
      .max(1000)
      .default(LATENCY_DEFAULTS.maxLatencyRatio)
      .describe('canary p99 / stable p99'),
    latencyFloorMs: z
      .number()
      .min(0)
      .max(600_000)
      .default(LATENCY_DEFAULTS.latencyFloorMs)
      .describe('a canary p99 at or under this never fails the latency ratio'),
    failureLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('failed step analyses before rollback'),
    minDistinctCallers: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(2)
      .describe('distinct failing callers before errors can fail a step'),
    observeOnly: z.boolean().default(false).describe('analyse and record, never act'),
  })
  .strict();

export const rolloutSchema = z
  .object({
    versionId: versionRefSchema,
    steps: z.array(z.number().gt(0).max(100)).min(1).max(100).optional().describe('default [5, 25, 50, 100]'),
    stepWeight: z.number().gt(0).max(100).optional().describe('default 10 when maxWeight is given'),
    maxWeight: z.number().gt(0).max(100).optional().describe('default 100 when stepWeight is given'),
    intervalMs: z
      .number()
      .int()
      .min(100)
      .max(86_400_000)
      .default(60_000)
      .describe('how long each step is observed'),
    analysis: rolloutAnalysisSchema.default(rolloutAnalysisSchema.parse({})),
    onInconclusive: z.enum(['pause', 'promote', 'abort']).default('pause'),
  })
  .strict()
  .refine((b) => !(b.steps && (b.stepWeight !== undefined || b.maxWeight !== undefined)), {
    message: 'give either steps or stepWeight/maxWeight, not both',
    path: ['steps'],
  });

export type RolloutBody = z.infer<typeof rolloutSchema>;
