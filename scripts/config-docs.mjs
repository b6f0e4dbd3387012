// Writes docs/configuration.md from the config schema. Runs on the build (`npm run docs:config` builds
// first), where the lib's path aliases and .js imports already resolve.
import { writeFileSync } from 'node:fs';

const { renderConfigReference } = await import(
  new URL('../dist/libs/config/src/config-reference.js', import.meta.url)
);
const target = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(target, renderConfigReference());
console.log(`wrote ${target.pathname}`);
