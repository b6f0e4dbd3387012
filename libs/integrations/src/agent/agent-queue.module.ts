import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ImprovementQueueModule } from '@seed/hot-reload';

export const AGENT_QUEUE = 'agent';
/** Agent job ids carry this prefix, so GET /jobs/:id tells them from pipeline jobs (whose ids are version ids). */
export const AGENT_JOB_PREFIX = 'agent-';

/** The BullMQ queue `agent`: one job per requested improvement, on the connection of the pipeline's queue. */
@Module({
  imports: [ImprovementQueueModule, BullModule.registerQueue({ name: AGENT_QUEUE })],
  exports: [BullModule],
})
export class AgentQueueModule {}
