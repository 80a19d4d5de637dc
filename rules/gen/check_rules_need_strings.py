#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Checks that every rule's condition can only be true when one of its strings is found.

mscan skips the YARA scan of bytes in which no atom of any built-in string occurs
(scanner/yara_glue.c, yg_atoms_absent): that is exact only while no built-in rule can match
without a string. A condition passes when it is, at its top level, a string test (`$a`,
`$a at 0`, `$a in (..)`, `any of them`, `all of them`, `N of (...)` with N >= 1), or
`X and Y` where X or Y passes, or `X or Y` where both pass, or such a form in parentheses.
Anything else (`not`, counts such as `#a > 0`, comparisons, `filesize`, `kind ==`, loops,
rule references) does not pass on its own. Deliberately narrow: a rule it cannot prove is
reported, not guessed.

Usage: check_rules_need_strings.py FILE.yar...   exit 0 when every rule passes, 1 otherwise.
"""
import re
import sys

TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<re>/(?:[^/\\\n]|\\.)+/[is]*)
  | (?P<op>\.\.|==|!=|<=|>=|<<|>>|[()\[\],<>+\-*\\%&|^~.:])
  | (?P<word>[$#@!]?[A-Za-z_][A-Za-z0-9_]*\*?|[$#@])
  | (?P<num>0x[0-9A-Fa-f]+|\d+(?:KB|MB)?)
''', re.X)


def strip_comments(text):
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text[i] == '"':
            m = re.compile(r'"(?:[^"\\]|\\.)*"').match(text, i)
            out.append(m.group(0))
            i = m.end()
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def rules(text):
    """(name, condition text) of every rule."""
    for m in re.finditer(r'\brule\s+([A-Za-z_][A-Za-z0-9_]*)[^{]*\{', text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            if text[i] == '"':
                i = re.compile(r'"(?:[^"\\]|\\.)*"').match(text, i).end()
                continue
            if text[i] == '/' and re.match(r'/(?:[^/\\\n]|\\.)+/', text[i:]):
                i += re.match(r'/(?:[^/\\\n]|\\.)+/', text[i:]).end()
                continue
            depth += {'{': 1, '}': -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i - 1]
        c = re.search(r'\bcondition\s*:(.*)$', body, re.S)
        yield m.group(1), c.group(1) if c else ""


def tokens(cond):
    pos, out = 0, []
    while pos < len(cond):
        m = TOKEN.match(cond, pos)
        if not m:
            raise ValueError("cannot read %r" % cond[pos:pos + 20])
        if m.lastgroup != "ws":
            out.append(m.group(0))
        pos = m.end()
    return out


def string_test(run):
    """A run of tokens between and/or that finds a string of the rule."""
    if not run:
        return False
    if re.fullmatch(r'\$[A-Za-z0-9_]*', run[0]):
        # $a, $a at N, $a in (A..B): true only where $a is found
        return len(run) == 1 or run[1] in ("at", "in")
    # any/all/N of them | of ($a, $b*)
    if len(run) >= 3 and run[1] == "of" and (run[2] == "them" or run[2] == "("):
        q = run[0]
        return q in ("any", "all") or (q.isdigit() and int(q) >= 1)
    return False


class Parser:
    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def disj(self):  # X or Y: both must need a string
        need = self.conj()
        while self.peek() == "or":
            self.i += 1
            need = self.conj() and need
        return need

    def conj(self):  # X and Y: one of them must
        need = self.unary()
        while self.peek() == "and":
            self.i += 1
            need = self.unary() or need
        return need

    def unary(self):
        if self.peek() == "not":
            self.i += 1
            self.unary()
            return False
        if self.peek() == "(":
            self.i += 1
            need = self.disj()
            if self.peek() != ")":
                raise ValueError("unbalanced parentheses")
            self.i += 1
            if self.peek() not in (None, "and", "or", ")"):
                # (...) was an operand of a comparison or arithmetic: read the rest as a run
                self.run()
                return False
            return need
        return string_test(self.run())

    def run(self):
        """Tokens up to the next and/or/')' at this level."""
        start, depth = self.i, 0
        while self.i < len(self.t):
            tok = self.t[self.i]
            if depth == 0 and tok in ("and", "or", ")"):
                break
            depth += {"(": 1, ")": -1}.get(tok, 0)
            self.i += 1
        return self.t[start:self.i]


def needs_string(cond):
    p = Parser(tokens(cond))
    need = p.disj()
    if p.peek() is not None:
        raise ValueError("unexpected %r" % p.peek())
    return need


def main(paths):
    bad, count = [], 0
    for path in paths:
        for name, cond in rules(strip_comments(open(path, encoding="utf-8").read())):
            count += 1
            try:
                ok = needs_string(cond)
            except ValueError as e:
                ok = False
                name += " (%s)" % e
            if not ok:
                bad.append("%s: rule %s" % (path, name))
    for b in bad:
        print("condition can be true without a string: " + b)
    print("%d rules, %d without a string test" % (count, len(bad)))
    return 1 if bad or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
