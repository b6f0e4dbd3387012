import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { renderConfigReference, variableReference } from './config-reference';
import { ENV_SECTIONS, envSchema } from './env.schema';

const DOCS = join(__dirname, '..', '..', '..', 'docs', 'configuration.md');

describe('variableReference', () => {
  it('shows the default, with its unit, and the meaning', () => {
    const schema = z.coerce.number().default(30).meta({ unit: 'ms' }).describe('how long');
    expect(variableReference('WAIT', schema)).toEqual({
      name: 'WAIT',
      default: '`30` ms',
      meaning: 'how long',
    });
  });

  it('shows what an unset variable means, or none', () => {
    const text = z.string().optional();
    expect(variableReference('A', text.meta({ unset: 'the host name' }).describe('a')).default).toBe(
      'the host name',
    );
    expect(variableReference('B', text.describe('b')).default).toBe('none');
  });

  it('refuses a variable without a meaning', () => {
    expect(() => variableReference('BARE', z.string().default('x'))).toThrow(/BARE has no meaning/);
  });
});

describe('renderConfigReference', () => {
  const page = renderConfigReference();

  it('has one row per variable of the schema, each under its section', () => {
    const listed = ENV_SECTIONS.flatMap((section) => Object.keys(section.variables));
    expect(listed.sort()).toEqual(Object.keys(envSchema.shape).sort());
    for (const section of ENV_SECTIONS) expect(page).toContain(`\n## ${section.title}\n`);
    expect(page).toMatch(/\| `SANDBOX_MAX_LOG_LINES` +\| `100` +\| captured `ctx.log` lines per call +\|/);
    expect(page).toMatch(/\| `HOST` +\| `127.0.0.1`, `0.0.0.0` in production +\|/);
  });

  it('is what docs/configuration.md holds', () => {
    if (readFileSync(DOCS, 'utf8') !== page) {
      throw new Error(
        'docs/configuration.md is out of date with the config schema: run `npm run docs:config`',
      );
    }
  });
});
