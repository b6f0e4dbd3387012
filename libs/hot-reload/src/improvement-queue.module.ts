import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';

export const IMPROVEMENTS_QUEUE = 'improvements';

/** The BullMQ queue `improvements` (jobId = version id), shared by the pipeline, health and metrics. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // Workers block on Redis: BullMQ requires maxRetriesPerRequest null on its connections.
        connection: { url: config.redisUrl, maxRetriesPerRequest: null },
        prefix: `${config.redisPrefix}:bull`,
      }),
    }),
    BullModule.registerQueue({ name: IMPROVEMENTS_QUEUE }),
  ],
  exports: [BullModule],
})
export class ImprovementQueueModule {}
