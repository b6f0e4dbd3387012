import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionScript } from './completion';
import { buildProgram } from './program';

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
/** .ci/run installs zsh, as it does Chromium; elsewhere the zsh checks say why they did not run. */
const zshIt = has('zsh') ? it : it.skip;
if (!has('zsh'))
  console.warn('completion.spec: zsh is not installed (apt-get install zsh): zsh checks skipped');

describe('seed-agent completion', () => {
  const program = buildProgram({});
  let dir: string;
  const script = (shell: string) => {
    const path = join(dir, `completion.${shell}`);
    writeFileSync(path, completionScript(program, shell));
    return path;
  };
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'seed-completion-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What bash completes the last word of `line` to, through the registered completion function. */
  const bashComplete = (line: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ));
         eval "$(complete -p seed-agent | sed -E 's/.* -F ([^ ]+) .*/\\1/')";
         printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        script('bash'),
        ...line,
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);

  it('registers a bash completion that completes commands, subcommands and options', () => {
    expect(
      execFileSync('bash', ['-c', 'source "$1"; complete -p seed-agent', 'bash', script('bash')], {
        encoding: 'utf8',
      }),
    ).toBe('complete -o default -F _seed_agent seed-agent\n');
    expect(bashComplete(['seed-agent', 'ro'])).toEqual(['rollback', 'rollout']);
    expect(bashComplete(['seed-agent', 'rollout', ''])).toEqual(
      expect.arrayContaining(['start', 'promote', 'pause', 'resume', 'abort', 'status']),
    );
    // A whole subcommand under the cursor still completes as a subcommand, not to its options.
    expect(bashComplete(['seed-agent', 'rollout', 'status'])).toEqual(['status']);
    expect(bashComplete(['seed-agent', 'rollout', 'start', '--inter'])).toEqual(['--interval']);
    expect(bashComplete(['seed-agent', 'push', 'greet.ts', '--act'])).toEqual(['--activate']);
    expect(bashComplete(['seed-agent', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh']));
    expect(bashComplete(['seed-agent', 'nonsense', '--js'])).toEqual(['--json']);
  });

  zshIt('writes a zsh script that zsh parses, and whose function offers the same words', () => {
    const path = script('zsh');
    expect(spawnSync('zsh', ['-n', path], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    // Outside a completion widget compadd, _files and compdef do not exist: stand-ins print what is offered.
    const offered = (...line: string[]) =>
      execFileSync(
        'zsh',
        [
          '-c',
          `compdef() {}; _files() {}; compadd() { shift; print -l -- "$@" }
           source "$1"; shift; words=("$@"); CURRENT=$#; _seed_agent`,
          'zsh',
          path,
          ...line,
        ],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter(Boolean);
    expect(offered('seed-agent', '')).toEqual(expect.arrayContaining(['modules', 'push', 'rollout']));
    expect(offered('seed-agent', 'rollout', '')).toEqual(
      expect.arrayContaining(['start', 'promote', 'pause', 'resume', 'abort', 'status']),
    );
    expect(offered('seed-agent', 'rollout', 'status')).toContain('start');
    expect(offered('seed-agent', 'rollout', 'start', '')).toContain('--interval');
    expect(offered('seed-agent', 'rollout', 'start', '')).not.toContain('promote');

    // Saved as _seed-agent in $fpath, the file is autoloaded as that function: its first call completes.
    mkdirSync(join(dir, 'fpath'));
    copyFileSync(path, join(dir, 'fpath', '_seed-agent'));
    const autoloaded = execFileSync(
      'zsh',
      [
        '-c',
        `compdef() { print compdef }; _files() {}; compadd() { shift; print -l -- "$@" }
         fpath=("$1" $fpath); autoload -U _seed-agent; words=(seed-agent rollout ''); CURRENT=3; _seed-agent`,
        'zsh',
        join(dir, 'fpath'),
      ],
      { encoding: 'utf8' },
    );
    expect(autoloaded).toContain('promote');
    expect(autoloaded).not.toContain('compdef');
  });

  it('refuses another shell', () => {
    expect(() => completionScript(program, 'fish')).toThrow(/bash or zsh/);
  });
});
