import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { parseCidr } from './address-policy.js';
import { CapabilityBroker } from './capability-broker.js';
import { FetchClient } from './fetch-client.js';
import { KvStore } from './kv-store.js';
import { SecretsService } from './secrets.service.js';
import { TokenBudget } from './token-budget.js';

@Global()
@Module({
  providers: [
    KvStore,
    TokenBudget,
    SecretsService,
    CapabilityBroker,
    {
      provide: FetchClient,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new FetchClient(config.capabilities.fetch.allowCidrs.map(parseCidr)),
    },
  ],
  exports: [KvStore, CapabilityBroker, FetchClient, SecretsService],
})
export class CapabilitiesModule {}
