"""The manual pages keep up with the code: every keyword of the
configuration grammar (the keyword table of common/parse.y) is in
immpd.conf(5), and every immpctl command and subcommand (immpctl's
dispatch table and usage message) has its entry in immpctl(8).  The
lists are read from the sources and from the usage immpctl prints, not
written down here."""

import re
import subprocess

from harness import REPO, binary

PARSE_Y = REPO / "common" / "parse.y"
CTL_SRC = REPO / "immpctl"
CONF_MAN = REPO / "man" / "immpd.conf.5"
CTL_MAN = REPO / "man" / "immpctl.8"


def parse_y_keywords():
    """The names of the keyword table of parse.y (keywords[])."""
    text = PARSE_Y.read_text()
    m = re.search(r"\bkeywords\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    assert m, "no keyword table in %s" % PARSE_Y
    names = re.findall(r'\{\s*"([^"]+)",\s*[A-Z_]+\s*\}', m.group(1))
    assert len(names) >= 20, names
    return names


MACRO_RE = re.compile(r"^[A-Z][a-z]{1,2}$")     # Ic, Cm, Ar, Ns, Op ...


def macro_words(man, macros):
    """The words that stand as arguments of one of macros (e.g. Ic, Cm)
    on the macro lines of a man page: ".It Ic tls ca Ar file" gives
    "tls" and "ca"."""
    out = set()
    for line in man.read_text().splitlines():
        if not line.startswith("."):
            continue
        inside = False
        for w in line[1:].split():
            if MACRO_RE.match(w):
                inside = w in macros
            elif inside:
                out.add(w.strip('"'))
    return out


def missing_keywords(man):
    documented = macro_words(man, ("Ic", "Cm"))
    return [k for k in parse_y_keywords() if k not in documented]


def test_every_config_keyword_in_immpd_conf_5():
    missing = missing_keywords(CONF_MAN)
    assert not missing, "keywords of parse.y not in immpd.conf.5: %s" % (
        missing,)


def without(man, tmp_path, pattern):
    """A copy of man without the lines that match pattern."""
    rx = re.compile(pattern)
    out = tmp_path / man.name
    out.write_text("".join(line for line in
                           man.read_text().splitlines(keepends=True)
                           if not rx.search(line)))
    return out


def test_keyword_check_sees_an_omission(tmp_path):
    """The check itself: immpd.conf.5 without its domain-secret entry
    lacks exactly that keyword."""
    man = without(CONF_MAN, tmp_path, r"\bdomain-secret\b")
    assert missing_keywords(man) == ["domain-secret"]


def dispatch_commands():
    """The names of immpctl's dispatch table (cmds[] in immpctl.c)."""
    text = (CTL_SRC / "immpctl.c").read_text()
    m = re.search(r"\bcmds\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    assert m, "no dispatch table in immpctl.c"
    return re.findall(r'\{\s*"([a-z-]+)",\s*cmd_\w+\s*\}', m.group(1))


def literals():
    """The words immpctl compares its arguments with (strcmp(x, "w")):
    a word of the usage message is a literal if it is one of them,
    else an operand such as "account"."""
    out = set()
    for src in sorted(CTL_SRC.glob("*.c")):
        out.update(re.findall(r'strcmp\([^;]*?,\s*"([a-z][a-z-]*)"\)',
                              src.read_text()))
    return out


def usage_lines():
    """immpctl's usage message, one list of words per form, without
    the program name and the leading options ([-f file] [-s socket])."""
    r = subprocess.run([binary("immpctl")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=10)
    assert r.returncode == 1 and r.stderr.startswith("usage: immpctl "), \
        r.stderr
    forms = []
    for line in r.stderr.splitlines():
        words = line.replace("usage:", "").split()
        assert words[0] == "immpctl", line
        words = words[1:]
        while words and words[0].startswith("[-"):
            words = words[2:] if not words[0].endswith("]") else words[1:]
        forms.append(words)
    return forms


def usage_commands():
    """[(command, subcommand or None)] from the usage message."""
    lits = literals()
    pairs = []
    for words in usage_lines():
        cmds = words[0].split("|")
        subs = [None]
        if len(words) > 1:
            alts = words[1].strip("[]").split("|")
            if all(a in lits for a in alts):
                subs = alts
        pairs += [(c, s) for c in cmds for s in subs]
    return pairs


def item_lines(man):
    """The .It heads of the DESCRIPTION of a man page (with their
    .Xo/.Xc continuation lines), as word lists without the macros and
    the separators."""
    text = man.read_text()
    m = re.search(r"^\.Sh DESCRIPTION\n(.*?)^\.Sh ", text, re.S | re.M)
    assert m, "no DESCRIPTION in %s" % man
    heads, cur = [], None
    for line in m.group(1).splitlines():
        if cur is not None:             # inside .It Xo ... .Xc
            if line.startswith(".Xc"):
                heads.append(cur)
                cur = None
            else:
                cur += " " + line.lstrip(".")
        elif line.startswith(".It "):
            if line.split()[1:2] == ["Xo"]:
                cur = line[4:]
            else:
                heads.append(line[4:])
    return [[w for w in h.split()
             if not MACRO_RE.match(w) and w not in ("|", ",", "Xo")]
            for h in heads]


def missing_commands(man):
    pairs = usage_commands()
    items = item_lines(man)
    return ["%s %s" % (c, s) if s else c for c, s in pairs
            if not any(i and i[0] == c and (s is None or s in i[1:])
                       for i in items)]


def test_every_immpctl_command_in_immpctl_8():
    cmds = {c for c, _ in usage_commands()}
    # the usage message names every command of the dispatch table
    assert set(dispatch_commands()) <= cmds, (dispatch_commands(), cmds)
    missing = missing_commands(CTL_MAN)
    assert not missing, "immpctl commands without an entry in " \
        "immpctl.8: %s" % missing


def test_command_check_sees_an_omission(tmp_path):
    """The check itself: immpctl.8 without the entries of pin clear and
    of monitor (an .It Xo head) lacks exactly those."""
    man = without(CTL_MAN, tmp_path, r"^\.It Cm pin clear|^\.Cm monitor$")
    assert missing_commands(man) == ["monitor", "pin clear"]


def test_every_immpctl_flag_in_immpctl_8():
    flags = set()
    for words in usage_lines():
        flags.update(re.findall(r"\[-([a-zA-Z])\b", " ".join(words)))
    flags.update("fs")
    documented = macro_words(CTL_MAN, ("Fl",))
    missing = sorted(f for f in flags if f not in documented)
    assert not missing, "flags not in immpctl.8: %s" % missing
