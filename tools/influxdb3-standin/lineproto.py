"""Line protocol parser of the InfluxDB 3 stand-in.

Follows the rules of InfluxDB 3's parser (influxdb_line_protocol crate): backslash escapes comma
and space in measurements, comma, equals and space in tag keys, tag values and field keys; string
fields are double quoted with \\" and \\\\ as escapes; integers end in i, unsigned integers in u,
bare numbers are floats; booleans are t/T/true/True/TRUE and f/F/false/False/FALSE; the timestamp
is optional. Error messages are the server's.
"""

import re

FLOAT = "float"
INTEGER = "integer"
UINTEGER = "uinteger"
STRING = "string"
BOOLEAN = "boolean"

TRUE_WORDS = {"t", "T", "true", "True", "TRUE"}
FALSE_WORDS = {"f", "F", "false", "False", "FALSE"}
# A float as the server's parser accepts it: no nan/inf/underscores, which Python's float() takes.
FLOAT_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
INT_RE = re.compile(r"^[+-]?\d+$")
I64_MIN, I64_MAX, U64_MAX = -(2 ** 63), 2 ** 63 - 1, 2 ** 64 - 1
MAX_STRING = 64 * 1024


class LineError(Exception):
    """One line that cannot be parsed; the message is the one the server gives."""


def _read_escaped(line, i, stops, escapable):
    """Reads from i to the first unescaped character of `stops`; returns (text, index)."""
    out = []
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n and line[i + 1] in escapable:
            out.append(line[i + 1])
            i += 2
            continue
        if c in stops:
            break
        out.append(c)
        i += 1
    return "".join(out), i


def _field_value(raw):
    if raw in TRUE_WORDS:
        return BOOLEAN, True
    if raw in FALSE_WORDS:
        return BOOLEAN, False
    if raw.endswith("i"):
        body = raw[:-1]
        if not INT_RE.match(body) or not I64_MIN <= int(body) <= I64_MAX:
            raise LineError("Unable to parse integer value `%s`" % raw)
        return INTEGER, int(body)
    if raw.endswith("u"):
        body = raw[:-1]
        if not INT_RE.match(body) or body.startswith("-") or int(body) > U64_MAX:
            raise LineError("Unable to parse unsigned integer value `%s`" % raw)
        return UINTEGER, int(body)
    if not FLOAT_RE.match(raw):
        raise LineError("Unable to parse floating-point value `%s`" % raw)
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise LineError("Unable to parse floating-point value `%s`" % raw)
    return FLOAT, value


def parse_line(line):
    """Parses one line: (measurement, [(tag, value)], [(field, type, value)], timestamp or None)."""
    n = len(line)
    measurement, i = _read_escaped(line, 0, ", ", ", \\")
    if not measurement:
        raise LineError("Invalid measurement was provided")
    tags = []
    seen = set()
    if i < n and line[i] == ",":
        while i < n and line[i] == ",":
            key, i = _read_escaped(line, i + 1, ",= ", ",= \\")
            if i >= n or line[i] != "=" or not key:
                raise LineError("Tag set malformed")
            value, i = _read_escaped(line, i + 1, ", ", ",= \\")
            if not value:
                raise LineError("Tag set malformed")
            if key in seen:
                raise LineError("Must not contain duplicate tags, but `%s` was repeated" % key)
            seen.add(key)
            tags.append((key, value))
    if i >= n or line[i] != " ":
        raise LineError("No fields were provided")
    while i < n and line[i] == " ":
        i += 1
    fields = []
    while True:
        key, i = _read_escaped(line, i, ",= ", ",= \\")
        if not key or i >= n or line[i] != "=":
            raise LineError("No fields were provided")
        i += 1
        if i < n and line[i] == '"':
            out = []
            i += 1
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\':
                    out.append(line[i + 1])
                    i += 2
                    continue
                out.append(line[i])
                i += 1
            if i >= n:
                raise LineError("No fields were provided")
            i += 1
            value = "".join(out)
            if len(value.encode("utf-8")) > MAX_STRING:
                raise LineError("String is greater than 64KB")
            fields.append((key, STRING, value))
        else:
            j = i
            while j < n and line[j] not in ", ":
                j += 1
            raw = line[i:j]
            if not raw:
                raise LineError("No fields were provided")
            ftype, value = _field_value(raw)
            fields.append((key, ftype, value))
            i = j
        if i < n and line[i] == ",":
            i += 1
            continue
        break
    timestamp = None
    while i < n and line[i] == " ":
        i += 1
    if i < n:
        j = i
        while j < n and line[j] not in " \t\r":
            j += 1
        raw = line[i:j]
        if not INT_RE.match(raw) or not I64_MIN <= int(raw) <= I64_MAX:
            raise LineError("Unable to parse timestamp value `%s`" % raw)
        timestamp = int(raw)
        if line[j:].strip():
            raise LineError("Unable to parse timestamp value `%s`" % line[i:].strip())
    return measurement, tags, fields, timestamp


def split_lines(body):
    """Splits a body into (line number, line) pairs, skipping blank lines and comments.

    A newline inside a quoted string field does not end the line, as in the server's parser.
    """
    lines = []
    start = 0
    number = 1
    start_number = 1
    in_quote = False
    escaped = False
    fields_started = False
    i = 0
    n = len(body)
    # Quotes only open strings in the field set: after the first unescaped space of the line.
    while i < n:
        c = body[i]
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == " " and not in_quote:
            fields_started = True
        elif c == '"' and fields_started:
            in_quote = not in_quote
        elif c == "\n":
            if not in_quote:
                lines.append((start_number, body[start:i]))
                start = i + 1
                start_number = number + 1
                fields_started = False
            number += 1
        i += 1
    lines.append((start_number, body[start:]))
    out = []
    for num, text in lines:
        text = text.rstrip("\r")
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.append((num, text.lstrip()))
    return out
