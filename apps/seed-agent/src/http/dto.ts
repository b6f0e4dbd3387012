import { caseFixturesSchema, MODULE_NAME_PATTERN, moduleSettingsSchema } from '@seed/code-store';
import { z } from 'zod';

/** Request schemas: one definition validates the bodies and generates the OpenAPI document. */

const json = z.json();

export const testCaseSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    input: json,
    /** Omit to only require that the module does not throw. */
    expect: json.optional(),
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
  })
  .strict();

/** One case or several. */
export const addTestsSchema = z.union([testCasesSchema, testCaseSchema]);

export const submitVersionSchema = z
  .object({
    source: z.string().min(1),
    rationale: z.string().max(10_000).optional(),
    parentVersionId: z.uuid().optional(),
    activate: z.boolean().default(false),
    dryRun: z.boolean().default(false),
  })
  .strict();

export const activateSchema = z.object({ versionId: z.uuid() }).strict();
export const rollbackSchema = z.object({ versionId: z.uuid().optional() }).strict();

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

export const versionQuerySchema = z.object({ diff: z.enum(['parent']).optional() });

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
    ...(c.fixtures ? { fixtures: c.fixtures } : {}),
  };
}
