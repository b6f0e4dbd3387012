import { Global, Module } from '@nestjs/common';
import { CapabilityBroker } from './capability-broker.js';
import { KvStore } from './kv-store.js';

@Global()
@Module({ providers: [KvStore, CapabilityBroker], exports: [KvStore, CapabilityBroker] })
export class CapabilitiesModule {}
