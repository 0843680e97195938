"""The InfluxQL that analysts use, translated into SQL over the stand-in's tables.

Supported: SELECT of fields, tags, `*` and the aggregates mean, median, min, max, sum, count,
first, last, spread, stddev (with AS); FROM one or several measurements; WHERE on time
(RFC3339 literals, integer nanoseconds, epoch literals with a unit, now() - <duration>) and on
tags and fields (=, !=, <>, <, <=, >, >=, =~, !~, AND, OR, parentheses); GROUP BY tags, * and
time(interval[, offset]); fill(none|null|previous|linear|<number>) done here after the query,
as InfluxDB 3 does it with its own gap-filling functions that PyPI DataFusion lacks (from the
WHERE's lower bound, or each series' first window without one, to its upper bound or now();
count() fills 0 under fill(null), a number is cast to an integer column's type); ORDER BY
time [ASC|DESC]; LIMIT and OFFSET (per series, as InfluxQL has them); tz() is refused.
$name bind parameters (from params) as literals.
SHOW DATABASES, RETENTION POLICIES, MEASUREMENTS, TAG KEYS, TAG VALUES (WITH KEY = / IN / =~)
and FIELD KEYS. Anything else raises Unsupported: the server answers 400 with a message that
names the stand-in, never a silently different answer.
"""

import re
import time as _time

import store

NS = {"ns": 1, "u": 1000, "\u00b5": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9,
      "h": 3600 * 10 ** 9, "d": 86400 * 10 ** 9, "w": 7 * 86400 * 10 ** 9}
AGGREGATES = {"mean", "median", "min", "max", "sum", "count", "first", "last", "spread", "stddev"}
SELECTORS = {"min", "max", "first", "last"}
MAX_TIME = 2 ** 63 - 1
MIN_TIME = -(2 ** 63)


class Unsupported(Exception):
    """InfluxQL the stand-in cannot answer as the real server would."""


class ParseError(Exception):
    """InfluxQL that does not parse."""


TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<re>/(?:[^/\\]|\\.)*/)
  | (?P<dur>\d+(?:ns|u|\u00b5|ms|s|m|h|d|w)(?![A-Za-z0-9_]))
  | (?P<num>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>=~|!~|!=|<>|<=|>=|::|[=<>(),*;.+-])
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)


def tokenize(text, params=None):
    """Tokens as (kind, value); a $name placeholder becomes the literal of its bound value."""
    tokens = []
    pos = 0
    prev = None
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise ParseError("found %s, expected valid InfluxQL at position %d" % (text[pos], pos))
        kind = m.lastgroup
        value = m.group(kind)
        pos = m.end()
        if kind == "ws":
            continue
        # A / starts a regular expression only after =~ or !~ (otherwise it would be division).
        if kind == "re" and not (prev and prev[1] in ("=~", "!~")):
            raise Unsupported("arithmetic in InfluxQL expressions")
        if kind == "dq":
            kind, value = "id", re.sub(r'\\(.)', r'\1', value[1:-1])
        elif kind == "sq":
            kind, value = "str", re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "re":
            value = value[1:-1].replace("\\/", "/")
        elif kind == "param":
            name = value[1:]
            if not params or name not in params:
                raise ParseError("missing value for bind parameter $%s" % name)
            bound = params[name]
            if isinstance(bound, bool):
                kind, value = "id", "true" if bound else "false"
            elif isinstance(bound, (int, float)):
                kind, value = "num", repr(bound)
            elif isinstance(bound, str):
                kind = "str"
                value = bound
            else:
                raise Unsupported("bind parameters other than strings, numbers and booleans")
        tokens.append((kind, value))
        prev = tokens[-1]
    return tokens


class Parser:
    def __init__(self, text, params=None):
        self.tokens = tokenize(text, params)
        while self.tokens and self.tokens[-1] == ("op", ";"):
            self.tokens.pop()
        if ("op", ";") in self.tokens:
            raise SingleStatement()
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else ("eof", "")

    def kw(self, *words):
        """Consumes the keywords if they come next (case-insensitive)."""
        for k, w in enumerate(words):
            t = self.peek(k)
            if t[0] != "id" or t[1].upper() != w:
                return False
        self.i += len(words)
        return True

    def expect_kw(self, *words):
        if not self.kw(*words):
            raise ParseError("found %s, expected %s" % (self.peek()[1] or "EOF", " ".join(words)))

    def op(self, value):
        if self.peek() == ("op", value):
            self.i += 1
            return True
        return False

    def expect_op(self, value):
        if not self.op(value):
            raise ParseError("found %s, expected %s" % (self.peek()[1] or "EOF", value))

    def ident(self):
        t = self.peek()
        if t[0] != "id":
            raise ParseError("found %s, expected identifier" % (t[1] or "EOF"))
        self.i += 1
        name = t[1]
        if self.op("::"):
            self.ident()  # a type hint such as ::tag or ::field: the name alone decides
        return name

    def done(self):
        if self.peek()[0] != "eof":
            raise Unsupported("InfluxQL after %r" % " ".join(v for _, v in self.tokens[:self.i]))


class SingleStatement(Exception):
    """More than one statement in a query."""


def parse_duration(text):
    m = re.fullmatch(r"(\d+)(ns|u|\u00b5|ms|s|m|h|d|w)", text)
    if not m:
        raise ParseError("invalid duration %s" % text)
    return int(m.group(1)) * NS[m.group(2)]


def parse_time_literal(text):
    """An RFC3339 time (or a date) as nanoseconds since the epoch."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d:\d\d)?", text)
    if not m:
        raise ParseError("invalid time literal %r" % text)
    y, mo, d, hh, mm, ss, frac, zone = m.groups()
    import calendar
    secs = calendar.timegm((int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0)))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs * 10 ** 9 + int((frac or "").ljust(9, "0") or 0)


def go_duration(ns):
    """A duration as Go prints it, e.g. 168h0m0s, 0s."""
    if not ns:
        return "0s"
    secs, rest = divmod(ns, 10 ** 9)
    h, secs = divmod(secs, 3600)
    m, s = divmod(secs, 60)
    frac = ("." + str(rest).rjust(9, "0").rstrip("0")) if rest else ""
    if h:
        return "%dh%dm%d%ss" % (h, m, s, frac)
    if m:
        return "%dm%d%ss" % (m, s, frac)
    return "%d%ss" % (s, frac)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_str(value):
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------- WHERE


class Where:
    """A WHERE clause: the time range (ns, [lo, hi)) and the rest as an expression tree."""

    def __init__(self, parser, now_ns):
        self.p = parser
        self.now = now_ns
        self.lo = MIN_TIME
        self.hi = MAX_TIME
        self.tree = self.or_expr()

    def or_expr(self):
        left = self.and_expr()
        while self.p.kw("OR"):
            right = self.and_expr()
            if left[0] == "time" or right[0] == "time":
                raise Unsupported("time conditions joined by OR")
            left = ("or", left, right)
        return left

    def and_expr(self):
        left = self.atom()
        while self.p.kw("AND"):
            left = ("and", left, self.atom())
        return left

    def atom(self):
        if self.p.op("("):
            e = self.or_expr()
            self.p.expect_op(")")
            return e
        name = self.p.ident()
        t = self.p.peek()
        if t[0] != "op" or t[1] not in ("=", "!=", "<>", "<", "<=", ">", ">=", "=~", "!~"):
            raise ParseError("found %s, expected comparison operator" % (t[1] or "EOF"))
        self.p.i += 1
        op = "!=" if t[1] == "<>" else t[1]
        if name.lower() == "time":
            return self.time_condition(op)
        v = self.p.peek()
        self.p.i += 1
        if op in ("=~", "!~"):
            if v[0] != "re":
                raise ParseError("expected regular expression after %s" % op)
            return ("cmp", name, op, ("re", v[1]))
        if v[0] == "str":
            return ("cmp", name, op, ("str", v[1]))
        if v[0] == "num":
            return ("cmp", name, op, ("num", v[1]))
        if v[0] == "id" and v[1].lower() in ("true", "false"):
            return ("cmp", name, op, ("bool", v[1].lower()))
        if v[0] == "id":
            raise Unsupported("comparing two columns")
        raise ParseError("found %s, expected a value" % (v[1] or "EOF"))

    def time_value(self):
        """A time: now(), an RFC3339 string, integer nanoseconds or an epoch duration literal,
        each optionally followed by +/- durations."""
        t = self.p.peek()
        self.p.i += 1
        if t[0] == "id" and t[1].lower() == "now" and self.p.op("("):
            self.p.expect_op(")")
            value = self.now
        elif t[0] == "str":
            value = parse_time_literal(t[1])
        elif t[0] == "num" and re.fullmatch(r"[+-]?\d+", t[1]):
            value = int(t[1])
        elif t[0] == "dur":
            value = parse_duration(t[1])
        else:
            raise ParseError("invalid time value %s" % (t[1] or "EOF"))
        while self.p.peek() in (("op", "-"), ("op", "+")):
            sign = -1 if self.p.peek()[1] == "-" else 1
            self.p.i += 1
            d = self.p.peek()
            self.p.i += 1
            if d[0] != "dur":
                raise ParseError("expected a duration after %s" % ("-" if sign < 0 else "+"))
            value += sign * parse_duration(d[1])
        return value

    def time_condition(self, op):
        value = self.time_value()
        if op == ">=":
            self.lo = max(self.lo, value)
        elif op == ">":
            self.lo = max(self.lo, value + 1)
        elif op == "<":
            self.hi = min(self.hi, value)
        elif op == "<=":
            self.hi = min(self.hi, value + 1)
        elif op == "=":
            self.lo, self.hi = max(self.lo, value), min(self.hi, value + 1)
        else:
            raise Unsupported("time %s" % op)
        return ("time",)


def where_sql(tree, kinds):
    """The expression tree as SQL over one table whose columns have the given kinds."""
    kind = tree[0]
    if kind == "time":
        return None
    if kind in ("and", "or"):
        left, right = where_sql(tree[1], kinds), where_sql(tree[2], kinds)
        if left is None or right is None:
            return left if right is None else right
        return "(%s %s %s)" % (left, kind.upper(), right)
    _, name, op, (vkind, value) = tree
    col_kind = kinds.get(name)
    if col_kind == store.TAG or (col_kind is None and vkind in ("str", "re")):
        # A tag a series lacks compares as the empty string, as in InfluxQL.
        col = "COALESCE(CAST(%s AS VARCHAR), '')" % quote_ident(name) if col_kind else "''"
    elif col_kind is None:
        return "FALSE"
    else:
        col = quote_ident(name)
    if vkind == "re":
        return "(%s %s %s)" % (col, "~" if op == "=~" else "!~", quote_str(value))
    if vkind == "str":
        literal = quote_str(value)
    elif vkind == "bool":
        literal = value.upper()
    else:
        literal = value
    return "(%s %s %s)" % (col, op, literal)


def time_sql(lo, hi):
    parts = []
    if lo > MIN_TIME:
        parts.append("time >= to_timestamp_nanos(%d)" % lo)
    if hi < MAX_TIME:
        parts.append("time < to_timestamp_nanos(%d)" % hi)
    return parts


# ---------------------------------------------------------------- SELECT


class Select:
    def __init__(self, parser, now_ns):
        p = parser
        self.items = []  # (kind, func or None, column, alias)
        self.star = False
        while True:
            if p.op("*"):
                self.star = True
            else:
                name = p.ident()
                if p.op("("):
                    func = name.lower()
                    if func not in AGGREGATES:
                        raise Unsupported("the function %s()" % name)
                    if p.op("*"):
                        raise Unsupported("%s(*)" % func)
                    col = p.ident()
                    if p.op(","):
                        raise Unsupported("%s() with more than one argument" % func)
                    p.expect_op(")")
                    alias = p.ident() if p.kw("AS") else None
                    self.items.append(("agg", func, col, alias))
                else:
                    alias = p.ident() if p.kw("AS") else None
                    self.items.append(("col", None, name, alias))
            if not p.op(","):
                break
        p.expect_kw("FROM")
        self.measurements = []
        while True:
            t = p.peek()
            if t[0] == "re":
                raise Unsupported("FROM with a regular expression")
            name = p.ident()
            if p.op("."):
                name2 = p.ident()
                if p.op("."):
                    name = p.ident()
                else:
                    name = name2
            self.measurements.append(name)
            if not p.op(","):
                break
        self.where = Where(p, now_ns) if p.kw("WHERE") else None
        self.lo = self.where.lo if self.where else MIN_TIME
        self.hi = self.where.hi if self.where else MAX_TIME
        self.group_tags = []
        self.group_star = False
        self.interval = None
        self.offset = 0
        if p.kw("GROUP", "BY"):
            while True:
                if p.op("*"):
                    self.group_star = True
                elif p.peek()[0] == "id" and p.peek()[1].lower() == "time" and p.peek(1) == ("op", "("):
                    p.i += 2
                    d = p.peek()
                    p.i += 1
                    if d[0] != "dur":
                        raise ParseError("time() needs a duration")
                    self.interval = parse_duration(d[1])
                    if p.op(","):
                        sign = -1 if p.op("-") else 1
                        d = p.peek()
                        p.i += 1
                        if d[0] != "dur":
                            raise Unsupported("time() offset other than a duration")
                        self.offset = sign * parse_duration(d[1])
                    p.expect_op(")")
                else:
                    self.group_tags.append(p.ident())
                if not p.op(","):
                    break
        self.fill = "null"
        if p.kw("FILL"):
            p.expect_op("(")
            t = p.peek()
            p.i += 1
            if t[0] == "id" and t[1].lower() in ("none", "null", "previous", "linear"):
                self.fill = t[1].lower()
            elif t[0] == "num":
                self.fill = float(t[1]) if re.search(r"[.eE]", t[1]) else int(t[1])
            else:
                raise ParseError("invalid fill option")
            p.expect_op(")")
        self.desc = False
        if p.kw("ORDER", "BY"):
            name = p.ident()
            if name.lower() != "time":
                raise ParseError("only ORDER BY time supported at this time")
            if p.kw("DESC"):
                self.desc = True
            else:
                p.kw("ASC")
        self.limit = self.offset_rows = None
        if p.kw("LIMIT"):
            self.limit = int(p.peek()[1])
            p.i += 1
        if p.kw("OFFSET"):
            self.offset_rows = int(p.peek()[1])
            p.i += 1
        if p.kw("SLIMIT") or p.kw("SOFFSET"):
            raise Unsupported("SLIMIT and SOFFSET")
        if p.kw("TZ"):
            raise Unsupported("tz()")
        p.done()
        self.aggregate = any(k == "agg" for k, *_ in self.items)
        if self.aggregate and (self.star or any(k == "col" and c.lower() != "time" for k, _, c, _ in self.items)):
            raise Unsupported("mixing aggregates and raw columns")
        if self.interval and not self.aggregate:
            raise ParseError("GROUP BY requires at least one aggregate function")
        if self.fill != "null" and not self.interval:
            pass  # fill() without GROUP BY time() changes nothing


def output_names(items):
    """Column names as InfluxQL gives them: the alias, the column, or the function name with
    _1, _2 ... for repeats."""
    names = []
    seen = {}
    for kind, func, col, alias in items:
        base = alias or (func if kind == "agg" else col)
        n = seen.get(base, 0)
        names.append(base if n == 0 else "%s_%d" % (base, n))
        seen[base] = n + 1
    return names


AGG_SQL = {
    "mean": "avg({c})", "median": "median({c})", "min": "min({c})", "max": "max({c})",
    "sum": "sum({c})", "count": "count({c})",
    "first": "first_value({c} ORDER BY time ASC) FILTER (WHERE {c} IS NOT NULL)",
    "last": "last_value({c} ORDER BY time ASC) FILTER (WHERE {c} IS NOT NULL)", "spread": "(max({c}) - min({c}))",
    "stddev": "stddev({c})",
}


def parse(text, now_ns=None, params=None):
    """Parses one statement: ("select", Select) or ("show", kind, details)."""
    now_ns = _time.time_ns() if now_ns is None else now_ns
    p = Parser(text, params)
    if p.kw("SELECT"):
        return ("select", Select(p, now_ns))
    if p.kw("SHOW"):
        if p.kw("DATABASES"):
            p.done()
            return ("show", "databases", {})
        if p.kw("RETENTION", "POLICIES"):
            db = p.ident() if p.kw("ON") else None
            p.done()
            return ("show", "retention", {"db": db})
        kind = None
        if p.kw("MEASUREMENTS"):
            kind = "measurements"
        elif p.kw("TAG", "KEYS"):
            kind = "tag_keys"
        elif p.kw("FIELD", "KEYS"):
            kind = "field_keys"
        elif p.kw("TAG", "VALUES"):
            kind = "tag_values"
        else:
            raise Unsupported("SHOW %s" % p.peek()[1])
        details = {"db": p.ident() if p.kw("ON") else None, "from": None}
        if kind != "measurements" and p.kw("FROM"):
            if p.peek()[0] == "re":
                raise Unsupported("FROM with a regular expression")
            details["from"] = [p.ident()]
            while p.op(","):
                details["from"].append(p.ident())
        if kind == "tag_values":
            p.expect_kw("WITH", "KEY")
            if p.op("="):
                details["keys"] = ("eq", [p.ident()])
            elif p.op("!="):
                details["keys"] = ("ne", [p.ident()])
            elif p.op("=~"):
                t = p.peek()
                p.i += 1
                details["keys"] = ("re", t[1])
            elif p.kw("IN"):
                p.expect_op("(")
                keys = [p.ident()]
                while p.op(","):
                    keys.append(p.ident())
                p.expect_op(")")
                details["keys"] = ("eq", keys)
            else:
                raise ParseError("expected = or IN after WITH KEY")
        if p.peek()[0] != "eof":
            raise Unsupported("SHOW ... %s" % " ".join(v for _, v in p.tokens[p.i:]))
        return ("show", kind, details)
    raise Unsupported("statements other than SELECT and SHOW")
