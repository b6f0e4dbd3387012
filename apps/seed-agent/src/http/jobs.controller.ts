import { Controller, Get, Param } from '@nestjs/common';
import { SubmissionsService } from '@seed/hot-reload';
import { AgentService } from '@seed/integrations';
import { AGENT_JOB_PREFIX } from '@seed/jobs';
import { AnyRole } from './auth/roles.decorator.js';

@Controller('jobs')
export class JobsController {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly agent: AgentService,
  ) {}

  /** A pipeline job (its id is the version id) or an improvement by the agent (`agent-…`). */
  @Get(':jobId')
  @AnyRole()
  job(@Param('jobId') id: string) {
    return id.startsWith(AGENT_JOB_PREFIX) ? this.agent.job(id) : this.submissions.job(id);
  }
}
