/** Maps positions in a compiled module back to its TypeScript source, from the inline source map compileModule emits. */

const MAP_COMMENT = '//# sourceMappingURL=';
const INLINE_MAP = /^data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One mapping segment: generated column (0-based) → original line and column (0-based). */
type Segment = readonly [generatedColumn: number, originalLine: number, originalColumn: number];

export interface SourcePosition {
  /** 1-based */
  readonly line: number;
  /** 1-based */
  readonly column: number;
}

export class SourceMap {
  private constructor(private readonly lines: readonly (readonly Segment[])[]) {}

  /** The map inlined at the end of `code`, or undefined when there is none (code not from compileModule). */
  static fromInlineComment(code: string): SourceMap | undefined {
    const at = code.lastIndexOf(MAP_COMMENT);
    const match = at < 0 ? null : INLINE_MAP.exec(code.slice(at + MAP_COMMENT.length));
    if (!match) return undefined;
    try {
      const raw = JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as { mappings?: unknown };
      return typeof raw.mappings === 'string' ? new SourceMap(decodeMappings(raw.mappings)) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Original position of a generated 1-based line and column; undefined when the line has no mapping. */
  originalPosition(line: number, column: number): SourcePosition | undefined {
    const segments = this.lines[line - 1];
    if (!segments || segments.length === 0) return undefined;
    let best = segments[0];
    for (const segment of segments) {
      if (segment[0] > column - 1) break;
      best = segment;
    }
    return { line: best[1] + 1, column: best[2] + 1 };
  }
}

function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let originalLine = 0;
  let originalColumn = 0;
  for (const lineText of mappings.split(';')) {
    const segments: Segment[] = [];
    let generatedColumn = 0;
    for (const segmentText of lineText.split(',')) {
      if (segmentText === '') continue;
      const fields = decodeVlq(segmentText);
      generatedColumn += fields[0];
      // fields: generated column, source index, original line, original column[, name index]; one source here
      if (fields.length >= 4) {
        originalLine += fields[2];
        originalColumn += fields[3];
        segments.push([generatedColumn, originalLine, originalColumn]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64.indexOf(char);
    if (digit < 0) throw new Error(`invalid base64 VLQ digit ${char}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/**
 * Rewrites `compiledName:line:column` frames of a V8 stack to positions in `sourceName` and returns the first
 * one (the innermost frame in module code). Without a map, compiled positions are kept.
 */
export function mapStack(
  stack: string,
  compiledName: string,
  sourceName: string,
  map: SourceMap | undefined,
): { stack: string; position?: SourcePosition } {
  let position: SourcePosition | undefined;
  // the name must start the path, so `runtime.module.js:3:1` of a host frame is no match for `module.js`
  const escaped = compiledName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`(?<![\\w./\\\\-])${escaped}:(\\d+):(\\d+)`, 'g');
  const mapped = stack.replace(frame, (whole, line: string, column: string) => {
    const generated = { line: Number(line), column: Number(column) };
    const original = map ? map.originalPosition(generated.line, generated.column) : generated;
    if (!original) return whole;
    position ??= original;
    return `${sourceName}:${original.line}:${original.column}`;
  });
  return { stack: mapped, position };
}
