import { Module } from '@nestjs/common';
import { JobsRepository } from './jobs.repository.js';

/** RedisService and MetricsService come from their global modules. */
@Module({ providers: [JobsRepository], exports: [JobsRepository] })
export class JobsModule {}
