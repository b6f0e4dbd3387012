import { Controller, Get, Param } from '@nestjs/common';
import { SubmissionsService } from '@seed/hot-reload';
import { ImprovementsService } from '@seed/agent';
import { AGENT_JOB_PREFIX } from '@seed/jobs';
import { AnyRole } from './auth/roles.decorator.js';

@Controller('jobs')
export class JobsController {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly improvements: ImprovementsService,
  ) {}

  /** A pipeline job (its id is the version id) or an improvement run's job (`agent-<runId>`). */
  @Get(':jobId')
  @AnyRole()
  job(@Param('jobId') id: string) {
    return id.startsWith(AGENT_JOB_PREFIX) ? this.improvements.job(id) : this.submissions.job(id);
  }
}
