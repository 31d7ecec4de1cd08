/**
 * `wisp completion bash|zsh`: a shell completion script made from the command tree itself (commands,
 * subcommands, options), so it never falls behind the CLI. Entry ids after `-x`, `--host` and
 * `registry show` come from `wisp registry list` in the current directory when it has a project.
 */
import type { Command } from 'commander';
import { UsageError } from './errors';

export const SHELLS = ['bash', 'zsh'] as const;

interface Node {
  /** `run`, `registry show`: the words that lead to it. */
  readonly path: string;
  readonly words: string[];
}

/** For each command path ('' for the top), the words that may follow: subcommands and options. */
function tree(program: Command): Node[] {
  const nodes: Node[] = [];
  const visit = (cmd: Command, path: string): void => {
    const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
    const options = cmd.options.flatMap((o) => [o.short, o.long].filter((x): x is string => x !== undefined));
    const globals = path === '' ? [] : program.options.flatMap((o) => [o.long].filter((x): x is string => x !== undefined && x !== '--version'));
    nodes.push({ path, words: [...subs, ...options, ...globals, ...(path === '' ? [] : ['--help'])] });
    for (const c of cmd.commands) visit(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  visit(program, '');
  return nodes;
}

const ENTRY_IDS = `wisp registry list 2>/dev/null | awk 'NR>2 && NF==0 {exit} NR>2 {print $1}'`;

function bash(program: Command): string {
  const cases = tree(program)
    .map((n) => `          "${n.path}") words="${n.words.join(' ')}" ;;`)
    .join('\n');
  return `# wisp completion for bash: eval "$(wisp completion bash)" (in ~/.bashrc to keep it)
_wisp() {
  # Words from the line itself: bash splits ids at ':' (COMP_WORDBREAKS), and entry ids hold one.
  local line="\${COMP_LINE:0:COMP_POINT}" cur prev path word words i colon
  local -a W
  read -ra W <<< "$line"
  [[ "$line" == *" " ]] && W+=("")
  cur="\${W[\${#W[@]}-1]}"
  prev="\${W[\${#W[@]}-2]}"
  path=""
  for ((i = 1; i < \${#W[@]} - 1; i++)); do
    word="\${W[i]}"
    [[ "$word" == -* ]] && continue
    case "\${path:+$path }$word" in
${tree(program).filter((n) => n.path !== '').map((n) => `      "${n.path}") path="${n.path}" ;;`).join('\n')}
    esac
  done
  case "$prev" in
    -x|--exec|--host) words="$(${ENTRY_IDS})" ;;
    *)
      if [[ "$path" == "registry show" && "$cur" != -* ]]; then words="$(${ENTRY_IDS})"
      elif [[ "$path" == "completion" && "$cur" != -* ]]; then words="${SHELLS.join(' ')}"
      else
        case "$path" in
${cases}
          *) words="" ;;
        esac
      fi ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  # What bash replaces is only the part of the word after its last ':'.
  if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
    colon="\${cur%"\${cur##*:}"}"
    COMPREPLY=("\${COMPREPLY[@]#"$colon"}")
  fi
}
complete -o default -F _wisp wisp
`;
}

function zsh(program: Command): string {
  // zsh runs the bash function through bashcompinit: one logic for both shells.
  return `#compdef wisp
# wisp completion for zsh: eval "$(wisp completion zsh)" (in ~/.zshrc to keep it)
autoload -U +X bashcompinit && bashcompinit
${bash(program).split('\n').slice(1).join('\n')}`;
}

export function completionScript(program: Command, shell: string): string {
  if (shell === 'bash') return bash(program);
  if (shell === 'zsh') return zsh(program);
  throw new UsageError(`unknown shell "${shell}": bash or zsh`);
}
