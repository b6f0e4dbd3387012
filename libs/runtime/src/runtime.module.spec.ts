import { Test } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@seed/config';
import { IsolatePool } from './isolate-pool.js';
import { ModuleRegistry } from './module-registry.js';
import { RuntimeModule } from './runtime.module.js';

describe('RuntimeModule', () => {
  it('provides the registry and a pool sized from the config, and closes them at shutdown', async () => {
    const config = loadConfig({ SANDBOX_POOL_SIZE: '1', SANDBOX_MEMORY_MB: '16' }, 'test');
    const app = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), RuntimeModule],
    }).compile();
    await app.init();
    const pool = app.get(IsolatePool);
    expect(app.get(ModuleRegistry).stats().loadedVersions).toBe(0);
    await pool.filled();
    expect(pool.available).toBe(1);
    const blank = pool.take(16);
    expect(blank).toBeDefined();
    blank?.isolate.dispose();
    await app.close();
    expect(pool.take(16)).toBeUndefined();
  });
});
