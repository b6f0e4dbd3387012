import { z } from 'zod';
import { MODULE_NAME_PATTERN } from './module-settings.js';

const json = z.json();

/**
 * What a test case's capabilities answer in the pipeline, instead of the world (docs/capabilities.md). Matched
 * in order of declaration, first match wins, each usable many times; a call no fixture answers fails the case.
 */
export const caseFixturesSchema = z
  .object({
    /** the module's kv state when the case starts (empty when absent) */
    kv: z.record(z.string().min(1).max(512), json),
    fetch: z
      .array(
        z
          .object({
            url: z.string().url().max(2048),
            method: z.string().min(1).max(16).default('GET'),
            response: z
              .object({
                status: z.number().int().min(100).max(599),
                headers: z.record(z.string().max(256), z.string().max(8192)).optional(),
                body: z.string().max(1024 * 1024),
              })
              .strict(),
          })
          .strict(),
      )
      .max(100),
    call: z
      .array(
        z
          .object({ module: z.string().regex(MODULE_NAME_PATTERN), input: json.optional(), output: json })
          .strict(),
      )
      .max(100),
    model: z
      .array(
        z
          .object({
            match: z.string().max(10_000).optional(),
            text: z.string().max(100_000),
            /** the tokens the answer reports (default 0): counted in the score's capability usage */
            tokens: z.number().int().min(0).max(10_000_000).optional(),
          })
          .strict(),
      )
      .max(100),
  })
  .partial()
  .strict();

export type CaseFixtures = z.infer<typeof caseFixturesSchema>;
