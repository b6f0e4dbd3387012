// Entry point of the TypeORM CLI (`npm run migration:run`): the same options the app uses.
import { loadConfigFromProcess } from '@seed/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

const config = loadConfigFromProcess();
if (!config.databaseUrl) {
  throw new Error(
    'DATABASE_URL is required to run migrations from the CLI (the embedded database migrates at boot)',
  );
}

export default new DataSource(dataSourceOptions(config.databaseUrl));
