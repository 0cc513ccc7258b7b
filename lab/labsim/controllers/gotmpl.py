"""A small Go text/template evaluator with Forklift's Sprig subset, for pvcNameTemplate and friends.
Supports {{ pipeline }}, trim markers {{- -}}, .Field, string/number literals, parentheses, pipes,
if/else/end, and the functions Forklift registers (pkg/templateutil)."""
import math
import re


class TemplateError(Exception):
    pass


def _to_int(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    try:
        return int(str(v))
    except ValueError:
        raise TemplateError("not a number: %r" % (v,))


def _str(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "<no value>"
    return str(v)


def _trunc(n, s):
    n = _to_int(n)
    s = _str(s)
    if n < 0:
        return s[n:] if -n < len(s) else s
    return s[:n]


def _substr(start, end, s):
    s = _str(s)
    start, end = _to_int(start), _to_int(end)
    if start < 0:
        return s[:end]
    if end < 0 or end > len(s):
        return s[start:]
    return s[start:end]


def _initials(s):
    return "".join(w[0] for w in _str(s).split() if w)


def _printf(fmt, *args):
    py = re.sub(r"%v", "%s", fmt)
    return py % tuple(_str(a) if isinstance(a, bool) else a for a in args)


FUNCS = {
    "lower": lambda s: _str(s).lower(),
    "upper": lambda s: _str(s).upper(),
    "title": lambda s: _str(s).title(),
    "untitle": lambda s: _str(s)[:1].lower() + _str(s)[1:],
    "contains": lambda sub, s: sub in _str(s),
    "hasPrefix": lambda p, s: _str(s).startswith(p),
    "hasSuffix": lambda p, s: _str(s).endswith(p),
    "replace": lambda old, new, s: _str(s).replace(old, new),
    "trim": lambda s: _str(s).strip(),
    "trimAll": lambda c, s: _str(s).strip(c),
    "trimSuffix": lambda suf, s: _str(s)[:-len(suf)] if suf and _str(s).endswith(suf) else _str(s),
    "trimPrefix": lambda pre, s: _str(s)[len(pre):] if pre and _str(s).startswith(pre) else _str(s),
    "repeat": lambda n, s: _str(s) * _to_int(n),
    "substr": _substr,
    "nospace": lambda s: re.sub(r"\s", "", _str(s)),
    "trunc": _trunc,
    "initials": _initials,
    "mustRegexReplaceAll": lambda rx, s, repl: re.sub(rx, re.sub(r"\$\{?(\d+)\}?", r"\\\1", repl), _str(s)),
    "add": lambda *a: sum(_to_int(x) for x in a),
    "add1": lambda a: _to_int(a) + 1,
    "sub": lambda a, b: _to_int(a) - _to_int(b),
    "mul": lambda *a: math.prod(_to_int(x) for x in a),
    "div": lambda a, b: int(_to_int(a) / _to_int(b)),
    "mod": lambda a, b: _to_int(a) % _to_int(b),
    "max": lambda *a: max(_to_int(x) for x in a),
    "min": lambda *a: min(_to_int(x) for x in a),
    "floor": lambda a: math.floor(float(a)),
    "ceil": lambda a: math.ceil(float(a)),
    "round": lambda a, p=0: round(float(a), _to_int(p)),
    "printf": _printf,
    "print": lambda *a: "".join(_str(x) for x in a),
    "len": lambda s: len(s),
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "not": lambda a: not a,
    "and": lambda *a: all(a),
    "or": lambda *a: next((x for x in a if x), a[-1] if a else False),
}

TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)|(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)'
                   r'|(?P<dot>\.)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[|()]))')


def _lex(src):
    toks = []
    pos = 0
    src = src.strip()
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m or m.end() == pos:
            if src[pos:].strip() == "":
                break
            raise TemplateError("bad token at %r" % src[pos:])
        pos = m.end()
        kind = m.lastgroup
        toks.append((kind, m.group(kind)))
    return toks


class _Parser:
    def __init__(self, toks):
        self.toks, self.i = toks, 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def pipeline(self):
        cmds = [self.command()]
        while self.peek() == ("op", "|"):
            self.take()
            cmds.append(self.command())
        return ("pipe", cmds)

    def command(self):
        args = []
        while True:
            k, v = self.peek()
            if k is None or (k == "op" and v in ("|", ")")):
                break
            args.append(self.operand())
        if not args:
            raise TemplateError("empty command")
        return args

    def operand(self):
        k, v = self.take()
        if k == "str":
            if v.startswith("`"):
                return ("lit", v[1:-1])
            return ("lit", bytes(v[1:-1], "utf-8").decode("unicode_escape"))
        if k == "num":
            return ("lit", float(v) if "." in v else int(v))
        if k == "field":
            return ("field", v[1:])
        if k == "dot":
            return ("dot",)
        if k == "ident":
            if v in ("true", "false"):
                return ("lit", v == "true")
            if v == "nil":
                return ("lit", None)
            return ("func", v)
        if (k, v) == ("op", "("):
            p = self.pipeline()
            if self.take() != ("op", ")"):
                raise TemplateError("missing )")
            return p
        raise TemplateError("unexpected %r" % v)


def _eval(node, data):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        if node[1] not in data:
            raise TemplateError("can't evaluate field %s" % node[1])
        return data[node[1]]
    if kind == "dot":
        return data
    if kind == "func":
        return _call(node[1], [], data)
    if kind == "pipe":
        val = _NOVAL
        for cmd in node[1]:
            val = _command(cmd, data, val)
        return val
    raise TemplateError("bad node")


_NOVAL = object()


def _call(name, args, data):
    fn = FUNCS.get(name)
    if fn is None:
        raise TemplateError('function "%s" not defined' % name)
    try:
        return fn(*args)
    except TypeError as e:
        raise TemplateError("wrong number of args for %s: %s" % (name, e))


def _command(cmd, data, prev):
    head = cmd[0]
    if head[0] == "func":
        args = [_eval(a, data) for a in cmd[1:]]
        if prev is not _NOVAL:
            args.append(prev)
        return _call(head[1], args, data)
    if len(cmd) > 1 or prev is not _NOVAL:
        raise TemplateError("can't give argument to non-function")
    return _eval(head, data)


ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def render(template, data):
    """Render a Go template with `data` (a dict of fields). Raises TemplateError."""
    out = []
    pos = 0
    stack = []  # (emitting_before, branch_taken)
    emitting = True
    pieces = []
    for m in ACTION.finditer(template):
        pieces.append(("text", template[pos:m.start()], bool(m.group(1))))
        pieces.append(("action", m.group(2).strip(), bool(m.group(3))))
        pos = m.end()
    pieces.append(("text", template[pos:], False))
    # apply trim markers
    for i, p in enumerate(pieces):
        if p[0] == "action":
            if i > 0 and pieces[i - 1][0] == "text" and p is not None:
                pass
    texts = []
    for i, p in enumerate(pieces):
        if p[0] == "text":
            t = p[1]
            if p[2]:  # the next action has a left trim marker
                t = t.rstrip()
            if i > 0 and pieces[i - 1][0] == "action" and pieces[i - 1][2]:
                t = t.lstrip()
            texts.append(("text", t))
        else:
            texts.append(("action", p[1]))
    for kind, body in texts:
        if kind == "text":
            if emitting:
                out.append(body)
            continue
        if body.startswith("/*"):
            continue
        word = body.split(None, 1)[0] if body else ""
        if word == "if":
            cond = False
            if emitting:
                v = _eval(_Parser(_lex(body[2:])).pipeline(), data)
                cond = bool(v) and v != "" and v != 0
            stack.append((emitting, cond))
            emitting = emitting and cond
        elif word == "else":
            if not stack:
                raise TemplateError("else without if")
            before, taken = stack[-1]
            emitting = before and not taken
            stack[-1] = (before, True)
        elif word == "end":
            if not stack:
                raise TemplateError("end without if")
            emitting = stack.pop()[0]
        else:
            if emitting:
                v = _eval(_Parser(_lex(body)).pipeline(), data)
                out.append(_str(v))
    if stack:
        raise TemplateError("unclosed if")
    return "".join(out)
