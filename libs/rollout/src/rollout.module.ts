import { Module } from '@nestjs/common';
import { RolloutRepository } from './rollout.repository.js';
import { TrafficReporter } from './traffic-reporter.service.js';
import { TrafficRepository } from './traffic.repository.js';

@Module({
  providers: [RolloutRepository, TrafficRepository, TrafficReporter],
  exports: [RolloutRepository, TrafficRepository, TrafficReporter],
})
export class RolloutModule {}
