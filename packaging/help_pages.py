#!/usr/bin/env python3
"""Writes the man page and the bash completion of tconv-upsample from the
binary's own --help texts, so that neither can disagree with the tool.

    help_pages.py BINARY --man OUT.1 --completion OUT

Runs `BINARY --help`, takes the subcommands from its "Subcommands:" section,
runs `BINARY SUB --help` for each, and parses CLI11's layout: a description,
a "Usage:" line, sections ("Options:", "Positionals:", option groups) whose
entries put the name at column 2 and the description at the help's column
(found from the "-h,--help" line), then the footer, free text. Outputs are
written to a temporary file beside the target and renamed over it.
Python 3 standard library only (a build dependency of the tool, not of the
library).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

PROG = "tconv-upsample"

# Flags whose value is a word from a list written in their help text, as in
# "Interpolation kernel: bilinear (default), nearest, ... (also linear, ...)".
# Lists CLI11 prints itself (TEXT:{a,b}) and "a|b|c" lists are found for
# every flag without being named here.
WORD_LIST_FLAGS = {"--kernel", "--border", "--progress"}
# Value types CLI11 prints after a flag's names; a flag with none takes no value.
NUMERIC_TYPES = {"INT", "UINT", "FLOAT", "NUMBER", "NONNEGATIVE", "POSITIVE"}


class Entry:
    """One option, positional or subcommand line of a help section."""

    def __init__(self, lhs, desc):
        self.lhs = lhs
        self.desc = desc  # lines
        names, _, rest = lhs.partition(" ")
        self.names = names.split(",")
        self.rest = rest.strip()

    @property
    def flags(self):
        return [n for n in self.names if n.startswith("-")]

    @property
    def value_type(self):
        """CLI11's type word ("TEXT", "INT", ...) or None for a plain flag."""
        m = re.match(r"([A-Z]+)\b", self.rest)
        if not m or m.group(1) == "REQUIRED":
            return None
        return m.group(1)

    def value_words(self):
        """Words the value is chosen from, or [] when it is free."""
        m = re.match(r"[A-Z]+:\{([^}]*)\}", self.rest)
        if m:
            return m.group(1).split(",")
        text = " ".join(self.desc)
        m = re.search(r"(?<![\w./-])[\w-]+(?:\|[\w-]+)+(?![\w/-])", text)
        if m:
            return m.group(0).split("|")
        if not set(self.flags) & WORD_LIST_FLAGS:
            return []
        head, colon, tail = text.partition(": ")
        pieces = re.split(r"[,;()]|\s+or\s+|\balso\s+", tail if colon else head)
        words = [p.strip() for p in pieces]
        return [w for w in words if re.fullmatch(r"[a-z][a-z0-9_-]*", w) and w != "default"]


class HelpPage:
    """The parsed --help of one command."""

    def __init__(self, text):
        lines = text.rstrip("\n").split("\n")
        usage_at = next(i for i, l in enumerate(lines) if l.startswith("Usage:"))
        self.description = [l for l in lines[:usage_at] if l.strip()]
        self.usage = lines[usage_at][len("Usage:"):].strip()
        self.sections = []  # (title, [Entry])
        self.footer = []
        self.column = _help_column(lines)
        i = usage_at + 1
        while i < len(lines):
            if not lines[i].strip():
                i += 1
                continue
            entries, end = self._section(lines, i)
            if entries is None:
                self.footer = lines[i:]
                break
            self.sections.append((lines[i][:-1], entries))
            i = end

    def _section(self, lines, start):
        """Entries of the CLI11 section at `start` and where it ends, or None
        when the text there is not one (the footer has begun)."""
        title = lines[start]
        if title.startswith(" ") or not title.endswith(":"):
            return None, start
        col = self.column
        entries = []
        i = start + 1
        while i < len(lines) and lines[i].strip():
            line = lines[i]
            same_line = line[2:col].rstrip()
            at_name = line.startswith("  ") and line[2:3].strip()
            if entries and line.startswith(" " * col) and line[col:col + 1].strip():
                entries[-1].desc.append(line[col:])  # a description's next line
            elif (at_name and len(line) > col and line[col - 1] == " " and line[col] != " "
                  and _is_name(same_line) and not self._long_name(lines, i)):
                entries.append(Entry(same_line, [line[col:]]))
            elif at_name and len(line) >= col and _is_name(line[2:].rstrip()):
                # A name too long for the column (its description starts on
                # the next line), or one without a description.
                entries.append(Entry(line[2:].rstrip(), []))
            else:
                return None, start
            i += 1
        return (entries, i) if entries else (None, start)

    def _long_name(self, lines, i):
        """Whether line i is a name as long as the column, whose description
        starts on the next line: CLI11 pads a short name with spaces up to
        the column, so a single space before it is ambiguous; the next line
        decides."""
        col = self.column
        line = lines[i]
        padded = line[col - 2] == " "
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        return not padded and nxt.startswith(" " * col) and nxt[col:col + 1] not in ("", " ")

    def entries(self, title=None):
        return [e for t, es in self.sections if title in (None, t) for e in es]


# How CLI11 writes an entry's name: flags joined by commas, a positional's or
# a subcommand's name, then the option text (TEXT, INT:..., REQUIRED,
# Excludes: ...). A footer's example line ("tconv-upsample photo.png -s 2")
# or table row ("0  every input done") is none of these.
_NAME = re.compile(r"(?:-{1,2}\w[\w-]*(?:,-{1,2}\w[\w-]*)*|\w[\w.-]*)(?: [A-Z{\[].*)?")


def _is_name(text):
    return "  " not in text and bool(_NAME.fullmatch(text))


def _help_column(lines):
    for l in lines:
        m = re.match(r"(  -h,--help\s+)\S", l)
        if m:
            return len(m.group(1))
    return 30  # CLI11's default column width


def run_help(binary, *args):
    # A sanitizer build's leak report at exit must not fail the build of its
    # docs: the help text is all that is read.
    env = dict(os.environ, LC_ALL="C")
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    proc = subprocess.run([binary, *args, "--help"], capture_output=True, text=True,
                          encoding="utf-8", env=env)
    if proc.returncode != 0:
        sys.exit(f"help_pages: '{binary} {' '.join(args)} --help' exited {proc.returncode}: "
                 f"{proc.stderr.strip()}")
    return proc.stdout


# ---- man page -------------------------------------------------------------

def roff(text):
    """Escapes text for roff: backslashes, hyphens (as \\- so that flags
    copy and search as ASCII), non-ASCII as \\[uXXXX], and a leading . or '."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\e")
        elif ch == "-":
            out.append("\\-")
        elif ord(ch) > 127:
            out.append(f"\\[u{ord(ch):04X}]")
        else:
            out.append(ch)
    s = "".join(out)
    return "\\&" + s if s[:1] in (".", "'") else s


def roff_entry(entry):
    names = ", ".join(f"\\fB{roff(n)}\\fR" for n in entry.names)
    rest = f" \\fI{roff(entry.rest)}\\fR" if entry.rest else ""
    return [".TP", names + rest, *(roff(d.strip()) for d in entry.desc)]


def roff_footer(lines, heading):
    """Footer text: titles ("Examples:") become headings (`heading` is the
    request, ".SH" or ".B"), the rest is kept as written (its columns line
    up examples with their explanations)."""
    out = []
    block = []

    def flush():
        if block:
            out.extend([".PP", ".nf", *(roff(l) for l in block), ".fi"])
            block.clear()

    for l in lines:
        if l and not l.startswith(" ") and l.endswith(":") and len(l) < 60:
            flush()
            if heading != ".SH":
                out.append(".PP")
            out.append(f"{heading} {roff(l[:-1])}")
        elif l.strip():
            block.append(l)
        else:
            flush()
    flush()
    return out


def man_page(version, main, subs):
    out = [f'.\\" Generated from `{PROG} --help` and each subcommand\'s --help by',
           '.\\" packaging/help_pages.py; edit the help texts, not this file.',
           f'.TH {PROG.upper()} 1 "" "{roff(version)}" "User Commands"',
           # Flags and paths must not be hyphenated or stretched apart.
           ".nh", ".ad l",
           ".SH NAME", f"{PROG} \\- {roff(main.description[0])}",
           ".SH SYNOPSIS", f"\\fB{PROG}\\fR {roff(main.usage.split(' ', 1)[1])}"]
    for name, page in subs:
        out.append(".br")
        out.append(f"\\fB{PROG} {name}\\fR {roff(page.usage.split(' ', 2)[2])}")
    out += [".SH DESCRIPTION", *(roff(d) for d in main.description)]
    for title, entries in main.sections:
        out.append(f".SH {roff(title.upper())}")
        for e in entries:
            out += roff_entry(e)
    out += roff_footer(main.footer, ".SH")
    out.append(".SH COMMANDS")
    for name, page in subs:
        out += [f".SS {PROG} {roff(name)}", *(roff(d) for d in page.description),
                ".PP", f"Usage: \\fB{PROG} {roff(name)}\\fR {roff(page.usage.split(' ', 2)[2])}"]
        for title, entries in page.sections:
            out += [".PP", f"\\fI{roff(title)}:\\fR"]
            for e in entries:
                out += roff_entry(e)
        if page.footer != main.footer:  # CLI11 repeats the main footer in each subcommand
            out += roff_footer(page.footer, ".B")
    return "\n".join(out) + "\n"


# ---- bash completion --------------------------------------------------------

def shell_words(words):
    for w in words:
        if not re.fullmatch(r"[A-Za-z0-9_.,/:+=@%^-]+", w):
            sys.exit(f"help_pages: cannot quote {w!r} for the completion script")
    return " ".join(words)


def completion(main, subs):
    commands = [("main", main)] + subs
    sub_names = [n for n, _ in subs]
    flag_cases = []
    value_cases = []
    for name, page in commands:
        flags = [f for e in page.entries() for f in e.flags]
        flag_cases.append(f"    {name}) REPLY={shell_words(flags)!r} ;;")
        arms = []
        for e in page.entries():
            if not e.flags or e.value_type is None:
                continue
            words = e.value_words()
            if set(e.flags) & WORD_LIST_FLAGS and len(words) < 2:
                print(f"help_pages: warning: {'/'.join(e.flags)} of {name}: no value list in its "
                      "help text; completing file names", file=sys.stderr)
            if words:
                kind = "words " + shell_words(words)
            elif e.value_type in NUMERIC_TYPES:
                kind = "none"
            else:
                kind = "files"
            arms.append(f"        {'|'.join(e.flags)}) REPLY={kind!r} ;;")
        value_cases.append(f"    {name})\n      case $2 in\n" + "\n".join(arms) +
                           "\n        *) return 1 ;;\n      esac ;;")
    return f"""# bash completion for {PROG}: subcommands, each command's flags, the
# values of flags that take a word from a list, file names otherwise.
# Generated from `{PROG} --help` and each subcommand's --help by
# packaging/help_pages.py; edit the help texts, not this file.

# REPLY: the flags of command $1 (main: the command without a subcommand).
_tconv_upsample_flags() {{
  case $1 in
{chr(10).join(flag_cases)}
    *) REPLY='' ;;
  esac
}}

# REPLY: what follows flag $2 of command $1: "words W...", "files" or "none";
# fails when the flag takes no value.
_tconv_upsample_value() {{
  case $1 in
{chr(10).join(value_cases)}
    *) return 1 ;;
  esac
  return 0
}}

_tconv_upsample() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev='' cmd=main i w
  local subcommands={shell_words(sub_names)!r}
  COMPREPLY=()
  # The subcommand is the first known name that is not a flag's value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${{COMP_WORDS[i]}}
    if [[ $w == -* ]]; then
      if _tconv_upsample_value "$cmd" "${{w%%=*}}" && [[ $w != *=* ]]; then
        ((i++))
        [[ ${{COMP_WORDS[i]}} == = ]] && ((i++))
      fi
    elif [[ $cmd == main && " $subcommands " == *" $w "* ]]; then
      cmd=$w
    fi
  done
  # "--flag=value": readline splits at "=" when it is in COMP_WORDBREAKS.
  local prefix=''
  if ((COMP_CWORD > 0)); then prev=${{COMP_WORDS[COMP_CWORD - 1]}}; fi
  if [[ $cur == = ]]; then
    cur=''
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    prev=${{COMP_WORDS[COMP_CWORD - 2]}}
  elif [[ $cur == --*=* ]]; then
    prev=${{cur%%=*}} prefix=${{cur%%=*}}= cur=${{cur#*=}}
  fi
  if [[ $prev == -* ]] && _tconv_upsample_value "$cmd" "$prev"; then
    case $REPLY in
      words\\ *) mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "${{REPLY#words }}" -- "$cur") ;;
      files)
        compopt -o filenames 2> /dev/null
        mapfile -t COMPREPLY < <(compgen -P "$prefix" -f -- "$cur") ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    _tconv_upsample_flags "$cmd"
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  fi
  compopt -o filenames 2> /dev/null
  [[ $cmd == main ]] && mapfile -t COMPREPLY < <(compgen -W "$subcommands" -- "$cur")
  mapfile -t -O "${{#COMPREPLY[@]}}" COMPREPLY < <(compgen -f -- "$cur")
  return 0
}}
complete -F _tconv_upsample {PROG}
"""


def write(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".help_pages.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--man")
    ap.add_argument("--completion")
    args = ap.parse_args()
    main_page = HelpPage(run_help(args.binary))
    subs = [(e.names[0], HelpPage(run_help(args.binary, e.names[0])))
            for e in main_page.entries("Subcommands")]
    if not main_page.entries("Options"):
        sys.exit(f"help_pages: no Options section in '{args.binary} --help'")
    version = subprocess.run([args.binary, "--version"], capture_output=True, text=True,
                             encoding="utf-8", check=True).stdout.strip()
    if args.man:
        write(args.man, man_page(version, main_page, subs))
    if args.completion:
        write(args.completion, completion(main_page, subs))


if __name__ == "__main__":
    main()
