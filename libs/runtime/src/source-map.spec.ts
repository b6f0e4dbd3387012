import { compileModule } from './compile.js';
import { mapStack, SourceMap } from './source-map.js';

describe('source maps', () => {
  it('maps compiled positions back to the TypeScript source', async () => {
    const compiled = await compileModule(
      [
        'type A = number;',
        '',
        'interface B {',
        '  b: A;',
        '}',
        'export default (x: B) => x.b.toFixed(2);',
      ].join('\n'),
    );
    if (!compiled.ok) throw new Error('compile failed');
    const map = SourceMap.fromInlineComment(compiled.code);
    expect(map).toBeDefined();
    const lines = compiled.code.split('\n');
    const at = lines.findIndex((line) => line.includes('toFixed'));
    const column = lines[at].indexOf('x.b') + 1;
    expect(map?.originalPosition(at + 1, column)).toEqual({ line: 6, column: 26 });
  });

  it('rewrites module frames only, and reports the innermost one', () => {
    const stack = [
      'TypeError: boom',
      '    at inner (module.js:1:5)',
      '    at /srv/dist/libs/runtime/src/runtime.module.js:3:1',
      '    at outer (module.js:9:2)',
    ].join('\n');
    const { stack: mapped, position } = mapStack(stack, 'module.js', 'module.ts', undefined);
    expect(position).toEqual({ line: 1, column: 5 });
    expect(mapped).toContain('at inner (module.ts:1:5)');
    expect(mapped).toContain('runtime.module.js:3:1');
    expect(mapped).toContain('at outer (module.ts:9:2)');
  });

  it('has no map for code without an inline one', () => {
    expect(SourceMap.fromInlineComment('var x = 1;')).toBeUndefined();
  });
});
