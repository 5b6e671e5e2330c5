#!/usr/bin/env python3
"""The flags of tconv-upsample, as its --help lists them, must be the ones
the README's flag table lists and the ones the man page documents.

    check_flag_lists.py BINARY README.md MAN_PAGE.1

--help is the source: the main command's flags must equal the first column
of the table under the README's "## Flags" heading (none missing, none
stale), and every flag of the main command and of each subcommand (from the
"Subcommands:" section) must appear in the man page's text: the main
command's before the subcommands' sections, each subcommand's in its own
".SS tconv-upsample SUB" section. The help is read
here with its own simple rule (entry lines that start with "  -"), not with
packaging/help_pages.py's parser, so that a flag the generator drops is
caught. Where groff is installed, the page must also render without a
warning. Prints one line per disagreement, naming the flag and where it is
missing; exit 1 if there is any.
"""
import re
import shutil
import subprocess
import sys

FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)")


def help_text(binary, *args):
    proc = subprocess.run([binary, *args, "--help"], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"check_flag_lists: '{binary} {' '.join(args)} --help' exited "
                 f"{proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def help_flags(text):
    """Flags of the entry lines ("  -s,--scale TEXT=2   ..."), in order."""
    flags = []
    for line in text.splitlines():
        m = re.match(r"  (-[^\s]+)", line)
        if m:
            flags += [n for n in m.group(1).split(",") if n.startswith("-")]
    return flags


def subcommands(text):
    lines = text.splitlines()
    if "Subcommands:" not in lines:
        return []
    names = []
    for line in lines[lines.index("Subcommands:") + 1:]:
        m = re.match(r"  (\S+)", line)
        if not m:
            break
        names.append(m.group(1))
    return names


def readme_flags(path):
    """Flags in the first column of the table under "## Flags"."""
    lines = open(path, encoding="utf-8").read().splitlines()
    try:
        start = lines.index("## Flags")
    except ValueError:
        sys.exit(f"check_flag_lists: {path} has no '## Flags' heading")
    flags = []
    in_table = False
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            in_table = True
            first = line.split("|")[1]
            # Only the code spans name flags; the prose around them may hold hyphens.
            for code in re.findall(r"`([^`]*)`", first):
                flags += FLAG.findall(code)
        elif in_table:
            break
    if not flags:
        sys.exit(f"check_flag_lists: no flags found in the table under '## Flags' in {path}")
    return flags


def man_text(path):
    """The man page's words as a reader sees them: roff escapes for the hyphen
    and font changes removed."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\&", "")


def man_sections(path):
    """The man page split by command: "" for the text before the first
    ".SS tconv-upsample SUB" heading, SUB for the text under that heading up
    to the next .SS or .SH. A subcommand's flag must be in its own part."""
    parts = {"": []}
    current = ""
    for line in man_text(path).splitlines():
        m = re.match(r"\.SS tconv-upsample (\S+)", line)
        if m:
            current = m.group(1)
            parts[current] = []
        elif line.startswith((".SS", ".SH")) and current:
            current = None
        if current is not None:
            parts[current].append(line)
    return {k: "\n".join(v) for k, v in parts.items()}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: check_flag_lists.py BINARY README.md MAN_PAGE.1")
    binary, readme, man = sys.argv[1:]
    problems = []

    main_help = help_text(binary)
    main_flags = help_flags(main_help)
    if not main_flags:
        sys.exit(f"check_flag_lists: no flags found in '{binary} --help'")
    table = readme_flags(readme)
    for f in main_flags:
        if f not in table:
            problems.append(f"{f}: in --help but missing from the flag table of {readme}")
    for f in table:
        if f not in main_flags:
            problems.append(f"{f}: in the flag table of {readme} but not in --help (stale?)")

    sections = man_sections(man)
    commands = [("", main_flags)]
    for sub in subcommands(main_help):
        commands.append((sub, help_flags(help_text(binary, sub))))
    for sub, flags in commands:
        where = f"'{sub} --help'" if sub else "--help"
        if sub not in sections:
            problems.append(f"subcommand {sub}: in --help but the man page {man} has no "
                            f"'.SS tconv-upsample {sub}' section")
            continue
        for f in flags:
            if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", sections[sub]):
                problems.append(f"{f}: in {where} but missing from the man page {man}"
                                + (f" (section tconv-upsample {sub})" if sub else ""))

    # The page must also be valid roff: groff's warnings name the line. All of
    # them but "can't break line": CLI11's value lists (--arch TEXT:{...}) are
    # one word wider than a terminal, a matter of layout, not of content.
    if shutil.which("groff"):
        proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-Wbreak", "-z", man],
                              capture_output=True, text=True)
        for line in proc.stderr.splitlines():
            problems.append(f"groff: {line}")

    for p in problems:
        print(f"check_flag_lists: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_flag_lists: {len(main_flags)} main flags agree between --help and {readme}; "
          f"{sum(len(f) for _, f in commands)} flags of {len(commands)} commands are in {man}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
