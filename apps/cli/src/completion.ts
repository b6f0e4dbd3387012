import { Command } from 'commander';
import { CliError, EXIT } from './cli-error.js';

interface Node {
  names: string[];
  children: Map<string, Node>;
}

/** The command tree as words: what each position may complete to. */
function tree(command: Command): Node {
  const options = command.options
    .filter((o) => !o.hidden)
    .flatMap((o) => [o.long, o.short].filter(Boolean) as string[]);
  const children = new Map(command.commands.map((c) => [c.name(), tree(c)]));
  return { names: [...children.keys(), ...options], children };
}

/** A case pattern: `"modules ls"` exactly, or `"modules "*` for any subcommand word. */
const pattern = (words: string) => (words.endsWith(' *') ? `"${words.slice(0, -2)} "*` : `"${words}"`);

/** `seed-agent completion bash|zsh`: a script completing commands, subcommands and options. */
export function completionScript(program: Command, shell: string): string {
  const root = tree(program);
  const globals = program.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]);
  const cases = (indent: string, body: (words: string) => string) =>
    [...root.children].map(([name, node]) => {
      const inner = [...node.children].map(
        ([sub, subNode]) =>
          `${indent}  ${pattern(`${name} ${sub}`)}) ${body([...subNode.names, ...globals].join(' '))} ;;`,
      );
      return [
        ...inner,
        `${indent}  ${pattern(`${name} *`)}) ${body([...node.names, ...globals].join(' '))} ;;`,
      ].join('\n');
    });
  const top = [...root.names].join(' ');
  if (shell === 'bash')
    return `# seed-agent completion for bash: source <(seed-agent completion bash)
_seed_agent() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${top}"
  else
    case "\${COMP_WORDS[1]} \${COMP_WORDS[2]}" in
${cases('    ', (w) => `words="${w}"`).join('\n')}
      *) words="${globals.join(' ')}" ;;
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _seed_agent seed-agent
`;
  if (shell === 'zsh')
    return `#compdef seed-agent
# seed-agent completion for zsh: source <(seed-agent completion zsh), or save as _seed-agent in $fpath
_seed_agent() {
  local -a candidates
  if (( CURRENT == 2 )); then
    candidates=(${top})
  else
    case "$words[2] $words[3]" in
${cases('    ', (w) => `candidates=(${w})`).join('\n')}
      *) candidates=(${globals.join(' ')}) ;;
    esac
  fi
  compadd -- $candidates
  _files
}
if [ "$funcstack[1]" = "_seed_agent" ]; then _seed_agent "$@"; else compdef _seed_agent seed-agent; fi
`;
  throw new CliError(`no completion for ${shell}: bash or zsh`, EXIT.usage, 'bad_shell');
}
