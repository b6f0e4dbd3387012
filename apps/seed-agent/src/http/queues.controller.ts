import { Controller, Get } from '@nestjs/common';
import { JobsRepository, QUEUE_NAMES } from '@seed/jobs';
import { AnyRole } from './auth/roles.decorator.js';

/** Jobs per state in each BullMQ queue: the console overview's queue depth (bull-board is for admins). */
@Controller('queues')
export class QueuesController {
  constructor(private readonly jobs: JobsRepository) {}

  @Get()
  @AnyRole()
  async counts() {
    return {
      queues: await Promise.all(
        QUEUE_NAMES.map(async (name) => ({ name, ...(await this.jobs.counts(name)) })),
      ),
    };
  }
}
