import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { MODULE_SDK_DTS } from './sdk.js';

/** Type-checks a module against the served declarations, as an author's editor would. */
function typeErrors(moduleSource: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'seed-sdk-'));
  try {
    writeFileSync(join(dir, 'sdk.d.ts'), MODULE_SDK_DTS);
    writeFileSync(join(dir, 'module.ts'), `/// <reference path="./sdk.d.ts" />\n${moduleSource}`);
    const program = ts.createProgram([join(dir, 'module.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      lib: ['lib.es2022.d.ts'],
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('MODULE_SDK_DTS', () => {
  it('types a module and its context without imports', () => {
    expect(
      typeErrors(`
        const greet: ModuleFunction<{ name: string }, { greeting: string }> = async (input, ctx) => {
          ctx.log('greeting', input.name, ctx.module, ctx.version);
          return { greeting: 'Hello, ' + input.name };
        };
        export default greet;
      `),
    ).toEqual([]);
  });

  it('catches a misuse of the context', () => {
    expect(typeErrors(`export default (input: JsonValue, ctx: ModuleContext) => ctx.send(input);`)).toEqual([
      expect.stringMatching(/Property 'send' does not exist/),
    ]);
  });

  it('types the capabilities as optional members', () => {
    expect(
      typeErrors(`
        export default async (input: JsonValue, ctx: ModuleContext) => {
          if (!ctx.kv || !ctx.call) return null;
          await ctx.kv.set('seen', input, { ttlMs: 1000 });
          const listed = await ctx.kv.list('s');
          try {
            return { listed, out: await ctx.call('other', input) };
          } catch (error) {
            if (error instanceof ctx.CapabilityError) return error.code;
            throw error;
          }
        };
      `),
    ).toEqual([]);
    expect(typeErrors(`export default (i: JsonValue, ctx: ModuleContext) => ctx.kv.get('a');`)).toEqual([
      expect.stringMatching(/possibly 'undefined'/),
    ]);
  });
});
