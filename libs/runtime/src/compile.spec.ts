import { compileModule } from './compile.js';

describe('compileModule', () => {
  it('turns a TypeScript module into one script that assigns its exports to a global', async () => {
    const result = await compileModule(`
      interface Input { n: number }
      export default function (input: Input): number {
        return input.n * 2;
      }
    `);
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.warnings).toEqual([]);
    expect(result.code).toContain('var __seedModule');
    expect(result.code).not.toContain('interface Input');
    expect(result.code).toContain('//# sourceMappingURL=data:application/json;base64,');
    // the script runs on its own and exposes the default export
    const exported = new Function(`${result.code}; return __seedModule;`)() as {
      default: (i: unknown) => number;
    };
    expect(exported.default({ n: 21 })).toBe(42);
  });

  it('reports a syntax error with 1-based line and column', async () => {
    const result = await compileModule('export default function (x: number) {\n  return x +;\n}\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ line: 2, column: 13 });
    expect(result.diagnostics[0].message).toMatch(/Unexpected/);
  });

  it('counts columns in characters, not UTF-8 bytes', async () => {
    const result = await compileModule("const s = 'ééé'; let = ;\nexport default () => s;\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // the ';' after 'let =' (column 27 if counted in UTF-8 bytes)
    expect(result.diagnostics[0]).toMatchObject({ line: 1, column: 24 });
  });

  it('rejects top-level await, which a script cannot run', async () => {
    const result = await compileModule('const x = await Promise.resolve(1);\nexport default () => x;\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics[0].line).toBe(1);
  });
});
