export { dataSourceOptions } from './data-source-options.js';
export { runMigrationsLocked } from './run-migrations.js';
export { PersistenceModule } from './persistence.module.js';
export { redisOptionsFromUrl } from './redis-options.js';
export { RedisModule } from './redis.module.js';
export { RedisService } from './redis.service.js';
