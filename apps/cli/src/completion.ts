import { Command } from 'commander';
import { CliError, EXIT } from './cli-error.js';

interface Node {
  names: string[];
  children: Map<string, Node>;
}

/** The command tree as words: what each position may complete to (subcommands, options, argument choices). */
function tree(command: Command): Node {
  const options = command.options
    .filter((o) => !o.hidden)
    .flatMap((o) => [o.long, o.short].filter(Boolean) as string[]);
  const choices = command.registeredArguments.flatMap((a) => a.argChoices ?? []);
  const children = new Map(command.commands.map((c) => [c.name(), tree(c)]));
  return { names: [...children.keys(), ...choices, ...options], children };
}

/** A case pattern: `"modules ls"` exactly, or `"modules "*` for any subcommand word. */
const pattern = (words: string) => (words.endsWith(' *') ? `"${words.slice(0, -2)} "*` : `"${words}"`);

/**
 * `seed-agent completion bash|zsh`: a script completing commands, subcommands and options. Both scripts
 * key a `case` on the command and, once the cursor is past it, the subcommand: "rollout " while the
 * subcommand is being typed, "rollout start" after it.
 */
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
  local cur="\${COMP_WORDS[COMP_CWORD]}" words key
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${top}"
  else
    key="\${COMP_WORDS[1]} "
    if [ "$COMP_CWORD" -gt 2 ]; then key+="\${COMP_WORDS[2]}"; fi
    case "$key" in
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
# seed-agent completion for zsh: source <(seed-agent completion zsh) after compinit,
# or save it as _seed-agent in a directory of $fpath
_seed_agent() {
  local -a candidates
  local key
  if (( CURRENT == 2 )); then
    candidates=(${top})
  else
    key="$words[2] "
    if (( CURRENT > 3 )); then key+="$words[3]"; fi
    case "$key" in
${cases('    ', (w) => `candidates=(${w})`).join('\n')}
      *) candidates=(${globals.join(' ')}) ;;
    esac
  fi
  compadd -- $candidates
  _files
}
if [ "$funcstack[1]" = "_seed-agent" ]; then _seed_agent "$@"; else compdef _seed_agent seed-agent; fi
`;
  throw new CliError(`no completion for ${shell}: bash or zsh`, EXIT.usage, 'bad_shell');
}
