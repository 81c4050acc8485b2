"""Shell completion scripts, generated from the argument parser (never written by hand).

Commands, options and option values come from whatever `sess.cli.build_parser()` holds, so a
command added there completes without a change here. bash and zsh scripts are written by shtab;
fish, which shtab does not cover, by `fish_script` below from the same walk of the parser.

Values that are not argparse choices come from small shell functions, one per kind, that all
three shells share in spirit:
- branch types: `sess config get branch.types` when the running sess can answer, else the
  built-in defaults (so completion works before any configuration exists);
- `--base`: the repository's local branches; `--since`/`--until`: the period words;
- `config get/set/unset KEY`: the keys a configuration file may hold, and for `config set KEY`
  the values that key takes when there is a short list (booleans, branch types);
- `amend @N`: the slices `sess log --json` lists for the open session;
- a FILE (`report --html`): file names.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from sess import config, periods
from sess.records import NamedTuple

SHELLS = ("bash", "zsh", "fish")

# Kinds of values and the option strings that take them (anywhere in the command tree).
BRANCH_TYPES, BRANCHES, PERIODS, FILES = "branch_types", "branches", "periods", "files"
CONFIG_KEYS, CONFIG_VALUES, SLICES = "config_keys", "config_values", "slices"
_BY_OPTION = {"--type": BRANCH_TYPES, "--base": BRANCHES, "--since": PERIODS, "--until": PERIODS,
              "--html": FILES}
_PERIOD_WORDS = ("today", "yesterday", *periods.WEEKDAYS, "7d", "2w")


class Command(NamedTuple):
    """One (sub)command of the tree: its path of names (() for sess itself), parser and help."""

    path: tuple[str, ...]
    parser: argparse.ArgumentParser
    help: str


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = "") -> Iterator[Command]:
    """Every (sub)command, parents before children, in the parser's order."""
    yield Command(path, parser, help)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if not name.startswith("_"):
                    yield from commands(sub, (*path, name), helps.get(name, ""))


def subcommand_names(parser: argparse.ArgumentParser) -> list[str]:
    return [name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices if not name.startswith("_")]


def positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [action for action in parser._actions
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction)]


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [action for action in parser._actions if action.option_strings and action.help != argparse.SUPPRESS]


def value_kind(path: tuple[str, ...], parser: argparse.ArgumentParser, action: argparse.Action) -> str | None:
    """Which kind of value `action` takes, for those whose values the parser does not list."""
    if action.choices is not None or (action.option_strings and action.nargs == 0):
        return None
    for option in action.option_strings:
        if option in _BY_OPTION:
            return _BY_OPTION[option]
    if action.option_strings:
        return None
    index = positionals(parser).index(action)
    if path[:1] == ("config",) and path[1:] in (("get",), ("set",), ("unset",)):
        return CONFIG_KEYS if index == 0 else CONFIG_VALUES if path[1:] == ("set",) and index == 1 else None
    if path == ("amend",) and index == 0:
        return SLICES
    return None


def bool_keys() -> list[str]:
    """Keys whose value is true or false, read off the Config defaults (`pr.draft` is `pr_draft`)."""
    return [key for key in config.KEYS
            if isinstance(getattr(config.DEFAULTS, key.replace(".", "_"), None), bool)]


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    if shell == "fish":
        return fish_script(parser)
    return _shtab_script(shell, parser)


# --- bash and zsh, through shtab ------------------------------------------------------------------

def _sh_lists() -> str:
    """The value lists, in the shell language bash and zsh share."""
    types = "\n".join(config.DEFAULT_BRANCH_TYPES)  # one a line, as `config get` prints a list
    bools = "|".join(bool_keys())
    return f"""
_sess_list_branch_types() {{
  local types
  types=$(command sess config get branch.types 2>/dev/null) && [ -n "$types" ] || types='{types}'
  printf '%s\\n' "$types"
}}
_sess_list_branches() {{
  command git for-each-ref --format='%(refname:short)' refs/heads 2>/dev/null
}}
_sess_list_periods() {{
  printf '%s\\n' {" ".join(_PERIOD_WORDS)}
}}
_sess_list_config_keys() {{
  printf '%s\\n' {" ".join(config.KEYS)}
}}
_sess_list_config_values() {{
  case "$1" in
    {bools}) printf '%s\\n' true false ;;
    branch.default_type) _sess_list_branch_types ;;
  esac
}}
_sess_list_slices() {{
  if [ -n "$1" ]; then set -- --session "$1"; else set --; fi
  command sess log --json "$@" 2>/dev/null | command grep -oE '"n": *[0-9]+' | command sed 's/.*[^0-9]/@/'
}}
"""


_KINDS = (BRANCH_TYPES, BRANCHES, PERIODS, CONFIG_KEYS)

# `amend @N --session ID` lists the slices of session ID: the word after --session.
_BASH_SLICES = r"""_sess_compgen_slices() {
  local i session=
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == --session ]] && session=${COMP_WORDS[i+1]}
  done
  compgen -W "$(_sess_list_slices "$session")" -- "$1"
}
"""
_ZSH_SLICES = r"""_sess_complete_slices() {
  local -a items expl
  local session= i=${words[(i)--session*]}
  if (( i < CURRENT )); then
    if [[ ${words[i]} == --session=* ]]; then session=${words[i]#--session=}; else session=${words[i+1]}; fi
  fi
  items=(${(f)"$(_sess_list_slices "$session")"})
  _wanted slices expl 'slice' compadd -a items
}
"""


def _bash_preamble() -> str:
    # shtab calls a completer with the word being completed and reads candidates, one a line.
    wrappers = "".join(f'_sess_compgen_{kind}() {{ compgen -W "$(_sess_list_{kind})" -- "$1"; }}\n'
                       for kind in _KINDS)
    wrappers += ('_sess_compgen_config_values() {\n'
                 '  compgen -W "$(_sess_list_config_values "${COMP_WORDS[COMP_CWORD-1]}")" -- "$1"\n}\n')
    return _sh_lists() + wrappers + _BASH_SLICES


def _zsh_preamble() -> str:
    labels = {BRANCH_TYPES: "branch type", BRANCHES: "branch", PERIODS: "period", CONFIG_KEYS: "key"}
    wrappers = "".join(
        f"_sess_complete_{kind}() {{\n  local -a items expl\n  items=(${{(f)\"$(_sess_list_{kind})\"}})\n"
        f"  _wanted {kind.replace('_', '-')} expl '{labels[kind]}' compadd -a items\n}}\n"
        for kind in _KINDS)
    wrappers += ("_sess_complete_config_values() {\n  local -a items expl\n"
                 "  items=(${(f)\"$(_sess_list_config_values ${words[CURRENT-1]})\"})\n"
                 "  _wanted values expl 'value' compadd -a items\n}\n")
    return _sh_lists() + wrappers + _ZSH_SLICES


def _shtab_script(shell: str, parser: argparse.ArgumentParser) -> str:
    import shtab

    for command in commands(parser):
        for action in command.parser._actions:
            kind = value_kind(command.path, command.parser, action)
            if kind == FILES:
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif kind is not None:
                action.complete = {"bash": f"_sess_compgen_{kind}",  # type: ignore[attr-defined]
                                   "zsh": f"_sess_complete_{kind}"}
        _list_every_subcommand(command.parser)
    preamble = {"bash": _bash_preamble(), "zsh": _zsh_preamble()}
    # shtab documents a per-shell dict for the preamble; its annotation says str.
    return str(shtab.complete(parser, shell=shell, preamble=preamble))  # type: ignore[arg-type]


def _list_every_subcommand(parser: argparse.ArgumentParser) -> None:
    """shtab completes only the subcommands argparse lists in help (those given a help text);
    sess completes every one, so the others are listed too, without a text."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest for choice in action._choices_actions}
            for name in action.choices:
                if name not in listed and not name.startswith("_"):
                    action._choices_actions.append(action._ChoicesPseudoAction(name, (), ""))


# --- fish -------------------------------------------------------------------------------------------

def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    if "%(" in text:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            text = text % {**vars(action), "prog": ""}
    return " ".join(text.split())


_FISH_FUNCTIONS = r"""
# The words typed after `sess` that are neither options nor their values: the command path,
# then positionals.
function __sess_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for token in $tokens
        if test $skip = 1
            set skip 0
        else if contains -- $token {valued}
            set skip 1
        else if not string match -q -- '-*' $token
            echo $token
        end
    end
end

# True when the typed words begin with the given command path.
function __sess_in
    set -l words (__sess_words)
    test (count $words) -ge (count $argv); or return 1
    for i in (seq (count $argv))
        test "$words[$i]" = "$argv[$i]"; or return 1
    end
end

# True when the typed words are exactly the given ones (a command awaiting its next word).
function __sess_at
    set -l words (__sess_words)
    test (count $words) -eq (count $argv); or return 1
    __sess_in $argv
end

function __sess_list_branch_types
    set -l types (command sess config get branch.types 2>/dev/null)
    and test -n "$types"
    or set types {types}
    printf '%s\n' $types
end

function __sess_list_branches
    command git for-each-ref --format='%(refname:short)' refs/heads 2>/dev/null
end

function __sess_list_periods
    printf '%s\n' {periods}
end

function __sess_list_config_keys
    printf '%s\n' {keys}
end

function __sess_list_config_values
    switch (__sess_words)[-1]
        case {bools}
            printf '%s\n' true false
        case branch.default_type
            __sess_list_branch_types
    end
end

function __sess_list_slices
    set -l tokens (commandline -opc)
    set -l session
    if set -l i (contains -i -- --session $tokens)
        set session --session $tokens[(math $i + 1)]
    else if set -l given (string match -r -g -- '^--session=(.+)' $tokens)
        set session --session $given[1]
    end
    command sess log --json $session 2>/dev/null | string match -r -a -g '"n": *([0-9]+)' | string replace -r '^' '@'
end
"""


def fish_script(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    functions = (_FISH_FUNCTIONS.replace("{types}", " ".join(config.DEFAULT_BRANCH_TYPES))
                 .replace("{periods}", " ".join(_PERIOD_WORDS)).replace("{keys}", " ".join(config.KEYS))
                 .replace("{bools}", " ".join(bool_keys())).replace("{valued}", " ".join(_valued_options(parser))))
    lines = [f"# fish completion for {prog}, generated by `{prog} completion fish`",
             f"complete -c {prog} -e", f"complete -c {prog} -f", functions.strip(), ""]
    for command in commands(parser):
        where = " ".join(command.path)
        in_here = f"__sess_in {where}" if command.path else "__sess_at"  # sess's own options: before a command
        subs = subcommand_names(command.parser)
        if subs:
            at_here = f"__sess_at {where}".strip()
            helps = {sub.path[-1]: sub.help for sub in commands(command.parser, command.path)
                     if len(sub.path) == len(command.path) + 1}
            for name in subs:
                lines.append(f"complete -c {prog} -n {_fish_quote(at_here)} -a {_fish_quote(name)}"
                             f" -d {_fish_quote(helps.get(name, ''))}")
        for action in options(command.parser):
            lines.append(_fish_option(prog, in_here, command, action))
        for index, action in enumerate(positionals(command.parser)):
            line = _fish_positional(prog, command, index, action)
            if line:
                lines.append(line)
    return "\n".join(lines) + "\n"


def _valued_options(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string, anywhere in the tree, that takes the next word as its value."""
    return sorted({option for command in commands(parser) for action in options(command.parser)
                   if action.nargs != 0 for option in action.option_strings})


def _fish_values(command: Command, action: argparse.Action) -> str:
    kind = value_kind(command.path, command.parser, action)
    if action.choices is not None:
        return " -a " + _fish_quote(" ".join(str(choice) for choice in action.choices))
    if kind == FILES:
        return " -F"
    if kind is not None:
        return f" -a '(__sess_list_{kind})'"
    return ""


def _fish_option(prog: str, condition: str, command: Command, action: argparse.Action) -> str:
    parts = [f"complete -c {prog} -n {_fish_quote(condition)}"]
    for option in action.option_strings:
        if option.startswith("--"):
            parts.append(f"-l {option[2:]}")
        elif len(option) == 2:
            parts.append(f"-s {option[1]}")
        else:
            parts.append(f"-o {option[1:]}")
    values = _fish_values(command, action) if action.nargs != 0 else ""
    if action.nargs != 0:
        parts.append("-r -F" if values == " -F" else "-x")  # -x: takes a value, and no file names
    line = " ".join(parts)
    described = f"{line} -d {_fish_quote(_help(action))}" if action.help else line
    if values.startswith(" -a"):
        # The values on a line of their own, so they are not all labelled with the option's help.
        return f"{line}{values}\n{described}"
    return described


def _fish_positional(prog: str, command: Command, index: int, action: argparse.Action) -> str | None:
    values = _fish_values(command, action)
    if not values:
        return None
    # The positional's turn: the command path and the positionals before it have been typed.
    where = " ".join(command.path)
    condition = f"__sess_at {where}" if index == 0 else \
        f"__sess_in {where}; and test (count (__sess_words)) -eq {len(command.path) + index}"
    return f"complete -c {prog} -n {_fish_quote(condition)}{values} -d {_fish_quote(_help(action))}"
