import { readdirSync, readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseAllDocuments } from 'yaml';

/** Readers for the deployment files (Dockerfile, .dockerignore, fly.toml, deployment/k8s), shared by the tests. */
export const REPO = join(__dirname, '..', '..', '..', '..');
export const K8S_DIR = join(REPO, 'deployment', 'k8s');

export function repoFile(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

// --- Dockerfile ------------------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** The JSON (exec) form's array, when args is one. */
  json?: string[];
  line: number;
}

export interface Stage {
  name?: string;
  /** The image or stage it starts from, ARGs substituted. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Docker's own reading: comment lines dropped (inside continuations too), `\` joins lines. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line)) return;
    if (!pending && line.trim() === '') return;
    const continued = /\\\s*$/.test(line);
    const body = continued ? line.replace(/\\\s*$/, '') : line;
    pending = pending
      ? { text: `${pending.text} ${body.trim()}`, line: pending.line }
      : { text: body, line: index + 1 };
    if (continued) return;
    const match = /^\s*(\S+)\s*(.*)$/.exec(pending.text);
    if (match) {
      const args = match[2].trim();
      instructions.push({ keyword: match[1].toUpperCase(), args, json: jsonForm(args), line: pending.line });
    }
    pending = undefined;
  });

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      stages.push({
        from: image.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => globalArgs[arg] ?? ''),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [key, value = ''] = instruction.args.split('=');
        globalArgs[key.trim()] = value.trim();
      }
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

function jsonForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The stage's instructions with those of the stages it is built FROM (a stage inherits ENV, USER...). */
export function lineage(file: Dockerfile, stage: Stage): Instruction[] {
  const parent = file.stages.find((s) => s.name !== undefined && s.name === stage.from);
  return [...(parent ? lineage(file, parent) : []), ...stage.instructions];
}

/** ENV of a stage, inherited ones included: `ENV A=1 B="two words"` (and the legacy `ENV A 1`). */
export function stageEnv(file: Dockerfile, stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of lineage(file, stage).filter((i) => i.keyword === 'ENV')) {
    if (!instruction.args.includes('=') || /^\S+\s/.test(instruction.args.split('=')[0])) {
      const [key, ...rest] = instruction.args.split(/\s+/);
      env[key] = rest.join(' ');
      continue;
    }
    for (const match of instruction.args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      env[match[1]] = match[2].startsWith('"') ? (JSON.parse(match[2]) as string) : match[2];
    }
  }
  return env;
}

/** The last instruction of a kind in a stage (inherited ones included): CMD, ENTRYPOINT, USER... */
export function lastOf(file: Dockerfile, stage: Stage, keyword: string): Instruction | undefined {
  return lineage(file, stage)
    .filter((i) => i.keyword === keyword)
    .at(-1);
}

/** `HEALTHCHECK [options] CMD ["node", ...]`: the command. */
export function healthcheckCommand(instruction: Instruction): string[] | undefined {
  const match = /\bCMD\s+(\[.*\])\s*$/.exec(instruction.args);
  return match ? jsonForm(match[1]) : undefined;
}

/** Whether .dockerignore keeps `path` (relative to the repo) out of the build context. */
export function dockerIgnores(patterns: readonly string[], path: string): boolean {
  const parts = path.split('/');
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    // A pattern matching a folder excludes everything under it.
    const hit = parts.some((_, i) => matchesGlob(parts.slice(0, i + 1).join('/'), pattern));
    if (hit) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(): string[] {
  return repoFile('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

// --- fly.toml, Kubernetes, durations ---------------------------------------------------------------------

export function readFlyToml(): Record<string, unknown> {
  return parseToml(repoFile('fly.toml')) as Record<string, unknown>;
}

export interface K8sDocument {
  file: string;
  object: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Every YAML document of deployment/k8s; a syntax error anywhere fails the read. */
export function readK8sDocuments(): K8sDocument[] {
  return readdirSync(K8S_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).flatMap((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
        const object = doc.toJS() as Record<string, unknown> | null;
        return object ? [{ file, object }] : [];
      }),
    );
}

/** "30s", "5m", "1h30m", "250ms" or a bare number of seconds, in milliseconds. */
export function durationMs(value: unknown): number {
  if (typeof value === 'number') return value * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...String(value).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== String(value)) {
    throw new Error(`not a duration: ${String(value)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}
