"""tokentail(1) against the binary it documents.

The page is written by hand (doc/tokentail.1.in) and --help is the
binary's own summary; this test keeps the two in step both ways: every
flag and every command --help shows is a heading of the page's OPTIONS or
COMMANDS, every heading there is one --help shows, every report KIND of
`report --help` is named, the version and the default configuration path
are the binary's, and man renders the page without a warning.

Arguments: the binary, then the built page (meson passes both).
"""
import os
import re
import shutil
import subprocess
import sys

from harness import SLOW, Skip, binary, main, wrapper

FLAG = re.compile(r"(?<![\w-])(--?[a-z](?:[a-z0-9.-]*[a-z0-9])?)")
# "usage: tokentail WORD" or "       tokentail WORD": a command, not a flag.
COMMAND = re.compile(r"^(?:usage:)?\s+tokentail ([a-z][a-z-]*)\b", re.M)
# A heading: a tag line of .TP, indented seven columns by man.
HEADING = re.compile(r"^ {7}(\S.*)$", re.M)


def page_path():
    if len(sys.argv) > 2:
        return os.path.abspath(sys.argv[2])
    return os.path.join(os.path.dirname(binary()), "tokentail.1")


def run(*args):
    p = subprocess.run([*wrapper(), binary(), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30 * SLOW, check=True)
    return p.stdout.decode()


def render():
    """The page as man shows it in 80 columns, with man's warnings."""
    if shutil.which("man") is None:
        raise Skip("man not installed (Debian's man-db)")
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    p = subprocess.run(["man", "--warnings", "-l", page_path()],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stderr == b"", p.stderr.decode()
    # man may join lines with a hyphenation point; the tests read words.
    return p.stdout.decode().replace("\u2010", "-").replace("\u2212", "-")


def section(text, name):
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n)" % name, text, re.M | re.S)
    assert m, "no %s section in the page" % name
    return m.group(1)


def headings(text, name):
    """The flags and commands that head an entry of the section: the
    flags a tag starts with ("-h, --help"), or a command's name."""
    found = set()
    for line in HEADING.findall(section(text, name)):
        m = re.match(r"--?[a-z][\w.-]*(?:, --?[a-z][\w.-]*)*", line)
        if m:
            found.update(m.group(0).split(", "))
        elif name == "COMMANDS":
            found.add(line.split()[0])
    return found


def help_parts():
    """--help's usage lines (the commands) and its flags section."""
    usage, sep, flags = run("--help").partition("\nflags:\n")
    assert sep, "no flags: section in --help"
    return usage, flags


def test_every_flag_of_help_is_described():
    usage, flagpart = help_parts()
    flags = set(FLAG.findall(flagpart))
    assert {"--config.file", "--once", "--check-config", "-h", "--help"} <= flags, flags
    text = render()
    described = headings(text, "OPTIONS") | headings(text, "COMMANDS")
    missing = sorted(flags - described)
    assert not missing, "flags in --help without an entry in tokentail(1): %s" % missing
    # A flag only the usage lines show is a command's own, as --test-rules
    # is: the COMMANDS section names it.
    commands = section(text, "COMMANDS")
    missing = sorted(f for f in set(FLAG.findall(usage)) - flags
                     if not re.search(r"(?<![\w-])%s(?![\w.-])" % re.escape(f), commands))
    assert not missing, "command flags in --help not in COMMANDS: %s" % missing


def test_every_described_flag_exists():
    flags = set(FLAG.findall(help_parts()[1]))
    described = {w for w in headings(render(), "OPTIONS") if w.startswith("-")}
    gone = sorted(described - flags)
    assert not gone, "tokentail(1) describes flags --help does not know: %s" % gone


def test_every_command_is_described():
    commands = set(COMMAND.findall(run("--help")))
    assert "report" in commands, commands
    described = headings(render(), "COMMANDS")
    missing = sorted(commands - described)
    assert not missing, "commands in --help without an entry in COMMANDS: %s" % missing


def test_report_kinds_are_named():
    kinds = re.findall(r"^  ([a-z]+)  ", run("report", "--help"), re.M)
    assert kinds == ["usage", "export", "budgets"], kinds
    entry = section(render(), "COMMANDS")
    for kind in kinds:
        assert re.search(r"\b%s\b \(" % kind, entry), kind


def test_version_and_paths_are_the_binarys():
    text = render()
    version = run("--version").strip()
    assert re.match(r"^tokentail \d+\.\d+\.\d+$", version), version
    footer = text.rstrip().splitlines()[-1]
    assert footer.startswith(version + " "), footer
    m = re.search(r"then (\S+/tokentail/exporter\.yaml)\)", run("--help"))
    assert m, "--help names no default configuration"
    assert re.search(r"^ {7}%s$" % re.escape(m.group(1)), section(text, "FILES"),
                     re.M), m.group(1)
    with open(page_path()) as f:
        source = f.read()
    assert not re.search(r"@[A-Z]+@", source), "meson left a @NAME@ in the page"


if __name__ == "__main__":
    main([test_every_flag_of_help_is_described, test_every_described_flag_exists,
          test_every_command_is_described, test_report_kinds_are_named,
          test_version_and_paths_are_the_binarys])
