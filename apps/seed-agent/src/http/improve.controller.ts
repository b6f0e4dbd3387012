import { Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ImprovementsService } from '@seed/agent';
import { AgentError, AgentService } from '@seed/integrations';
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
    /** At most AGENT_MAX_ATTEMPTS (the default). */
    maxAttempts: z.number().int().min(1).optional(),
    /** A model spec (`provider` or `provider:model`); AGENT_MODEL when absent. */
    model: z.string().trim().min(1).max(200).optional(),
    /**
     * Any of these makes the request an improvement run (a record at GET /improvements/:runId); without them
     * it is today's attempt loop (GET /jobs/:jobId), with maxAttempts as its rounds.
     */
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

const RUN_OPTIONS = ['rounds', 'candidatesPerRound', 'parentSelection', 'edit', 'budget'] as const;

export type ImproveBody = z.infer<typeof improveSchema>;

@Controller('modules/:name')
export class ImproveController {
  constructor(
    private readonly agent: AgentService,
    private readonly improvements: ImprovementsService,
  ) {}

  /** Queues an improvement by the agent; follow it at GET /jobs/:jobId and on /events (agent.attempt, agent.done). */
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
      if (RUN_OPTIONS.some((key) => body[key] !== undefined))
        return await this.improvements.start(
          name,
          { ...body, tests: body.tests.map(toNewTestCase) },
          actorLabel(actor),
        );
      return await this.agent.improve(
        name,
        {
          goal: body.goal,
          tests: body.tests.map(toNewTestCase),
          maxAttempts: body.maxAttempts,
          model: body.model,
        },
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
