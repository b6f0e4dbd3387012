import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '@seed/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrationsLocked } from './run-migrations.js';

@Module({})
export class PersistenceModule {
  static forRoot(config: AppConfig): DynamicModule {
    const logger = new Logger('Persistence');
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => {
            if (!config.databaseUrl)
              throw new Error('databaseUrl must be resolved before the app module starts');
            return dataSourceOptions(config.databaseUrl);
          },
          // Migrations finish here, before any provider can touch the database.
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            if (config.migrationsRun) {
              const applied = await runMigrationsLocked(dataSource);
              logger.log(
                applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date',
              );
            }
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
