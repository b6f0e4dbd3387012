import { Controller, Get, Param } from '@nestjs/common';
import { SubmissionsService } from '@seed/hot-reload';
import { AnyRole } from './auth/roles.decorator.js';

@Controller('jobs')
export class JobsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Get(':id')
  @AnyRole()
  job(@Param('id') id: string) {
    return this.submissions.job(id);
  }
}
