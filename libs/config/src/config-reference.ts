import { z } from 'zod';
import { ENV_SECTIONS, type EnvSection } from './env.schema.js';

export interface VariableReference {
  readonly name: string;
  /** Markdown: the value an unset variable takes, or what it means when that is decided at start. */
  readonly default: string;
  readonly meaning: string;
}

/** Pure: one variable's row, read from its schema (its `.describe()`, its default, its `unit`/`unset` metadata). */
export function variableReference(name: string, schema: z.ZodType): VariableReference {
  const meta = z.globalRegistry.get(schema) ?? {};
  if (!meta.description) throw new Error(`${name} has no meaning: add .describe() to its schema`);
  return { name, default: defaultOf(schema, meta), meaning: meta.description };
}

function defaultOf(schema: z.ZodType, meta: z.core.GlobalMeta): string {
  if (typeof meta.unset === 'string') return meta.unset;
  const unset = schema.safeParse(undefined);
  if (!unset.success) return 'required';
  if (unset.data === undefined) return 'none';
  return `\`${String(unset.data)}\`${typeof meta.unit === 'string' ? ` ${meta.unit}` : ''}`;
}

/** Pure: docs/configuration.md, formatted as Prettier would (so `format:check` and the freshness test agree). */
export function renderConfigReference(sections: readonly EnvSection[] = ENV_SECTIONS): string {
  const parts = [
    '# Configuration',
    '<!-- Generated from libs/config/src/env.schema.ts by `npm run docs:config`: edit the schema, not this file. -->',
    'Everything is read once, in `libs/config`, from one zod schema; a bad value stops the start with one message ' +
      "listing every bad variable, exit code 1. A module's settings (`PATCH /modules/:name`) may override the " +
      'sandbox limits, `autoActivate`, `requireApproval` and the canary policy.',
  ];
  for (const section of sections) {
    const rows = Object.entries(section.variables).map(([name, schema]) => variableReference(name, schema));
    parts.push(
      `## ${section.title}`,
      section.about,
      table(
        ['Variable', 'Default', 'Meaning'],
        rows.map((row) => [`\`${row.name}\``, row.default, row.meaning]),
      ),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((_, column) =>
    Math.max(3, ...[header, ...rows].map((cells) => cells[column].length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
