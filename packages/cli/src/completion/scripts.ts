/**
 * The scripts `ccx completion bash|zsh|fish` prints. Each asks
 * `ccx __complete` for the candidates of the word under the cursor; an empty
 * answer falls back to the shell's file completion (the program after `--`).
 */
const BASH = `###-begin-ccx-completion-###
# ccx completion for bash: ccx completion bash >> ~/.bashrc
_ccx_completion() {
  local IFS=$'\\n'
  COMPREPLY=( $(ccx __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
}
complete -o default -F _ccx_completion ccx
###-end-ccx-completion-###
`;

const ZSH = `#compdef ccx
###-begin-ccx-completion-###
# ccx completion for zsh: ccx completion zsh >> ~/.zshrc
_ccx_completion() {
  local -a candidates
  candidates=("\${(@f)$(ccx __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "\${candidates[1]}" ]]; then
    compadd -a candidates
  else
    _files
  fi
}
if ! (( $+functions[compdef] )); then autoload -Uz compinit && compinit; fi
compdef _ccx_completion ccx
###-end-ccx-completion-###
`;

const FISH = `# ccx completion for fish: ccx completion fish > ~/.config/fish/completions/ccx.fish
function __ccx_complete
    set -l tokens (commandline -opc) (commandline -ct)
    ccx __complete $tokens[2..-1] 2>/dev/null
end
complete -c ccx -f -a '(__ccx_complete)'
`;

export const COMPLETION_SCRIPTS = { bash: BASH, zsh: ZSH, fish: FISH } as const;
