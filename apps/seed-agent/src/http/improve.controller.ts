import { Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ImprovementsService } from '@seed/agent';
import { ModulesService } from '@seed/hot-reload';
import { AgentError } from '@seed/integrations';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Actor, actorLabel, CurrentActor } from './actor.js';
import { ApiError } from './api-error.js';
import { Audit } from './audit/audit.decorator.js';
import { Roles } from './auth/roles.decorator.js';
import { distinctTestNames, testCaseSchema, toNewTestCase } from './dto.js';
import { ValidBody } from './validated.js';

export const improveSchema = z
  .object({
    /** What the improvement should achieve, in plain words. */
    goal: z.string().trim().min(1).max(10_000),
    /** Cases of the goal: each candidate must pass them; they join the suite with the one activated. */
    tests: z.array(testCaseSchema).max(100).superRefine(distinctTestNames).default([]),
    /** The rounds when `rounds` is absent (one candidate a round: an attempt); at most AGENT_MAX_ATTEMPTS. */
    maxAttempts: z.number().int().min(1).optional(),
    /** A model spec (`provider` or `provider:model`); AGENT_MODEL when absent. */
    model: z.string().trim().min(1).max(200).optional(),
    /** The run's shape (docs/improvement-engine.md); each has a default. */
    rounds: z.number().int().min(1).optional(),
    candidatesPerRound: z.number().int().min(1).max(8).optional(),
    parentSelection: z.enum(['active', 'archive']).optional(),
    edit: z.enum(['diff', 'rewrite', 'auto']).optional(),
    budget: z
      .object({
        maxTokens: z.number().int().min(0).optional(),
        maxCostUsd: z.number().min(0).optional(),
        maxMs: z.number().int().min(1000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ImproveBody = z.infer<typeof improveSchema>;

@Controller('modules/:name')
export class ImproveController {
  constructor(
    private readonly improvements: ImprovementsService,
    private readonly modules: ModulesService,
  ) {}

  /**
   * Starts an improvement run: 202 {runId, jobId, module}; follow it at GET /improvements/:runId and on /events
   * (improvement.round, improvement.done). 409 improvement_running while the module has one running.
   */
  @Post('improve')
  @Roles('admin', 'agent')
  @Audit('improve')
  @HttpCode(202)
  async improve(
    @Param('name') name: string,
    @ValidBody(improveSchema) body: ImproveBody,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (body.tests.some((t) => t.hidden) && actor.role !== 'admin')
      throw new ApiError('forbidden', 'only an admin gives held-out (hidden) goal cases');
    try {
      return await this.improvements.start(
        name,
        { ...body, tests: await this.modules.pinEvaluators(body.tests.map(toNewTestCase)) },
        actorLabel(actor),
      );
    } catch (error) {
      // A daily limit starts over at midnight UTC, not in the second the error filter would suggest.
      if (error instanceof AgentError && error.code === 'agent_daily_limit') {
        const { retryAfterSeconds } = error.details as { retryAfterSeconds: number };
        void reply.header('retry-after', String(retryAfterSeconds));
      }
      throw error;
    }
  }
}
