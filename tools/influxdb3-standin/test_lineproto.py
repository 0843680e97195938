"""The stand-in's line protocol parser, against the rules of InfluxDB 3's parser and, where the
rules agree, against the line protocol corpus in ../shared (read at run time when present)."""

import json
import os
import struct
import unittest

import lineproto as lp

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                      "vectors", "influx-reference", "lp_vectors.jsonl")


class Rules(unittest.TestCase):
    def test_escapes_in_names_and_tags(self):
        m, tags, fields, ts = lp.parse_line(r"cpu\,main\ x,tag\,a\=b\ c=v\,1\=2\ 3 f\=ie\,l\ d=1 5")
        self.assertEqual(m, "cpu,main x")
        self.assertEqual(tags, [("tag,a=b c", "v,1=2 3")])
        self.assertEqual(fields, [("f=ie,l d", lp.FLOAT, 1.0)])
        self.assertEqual(ts, 5)
        # InfluxDB 3 also reads \\ as one backslash (1.x kept both); an unknown escape stays.
        self.assertEqual(lp.parse_line(r"m,t=a\\b,u=a\qb v=1")[1], [("t", "a\\b"), ("u", "a\\qb")])

    def test_equals_needs_no_escape_in_a_measurement(self):
        self.assertEqual(lp.parse_line("a=b v=1")[0], "a=b")

    def test_string_fields(self):
        fields = lp.parse_line(r'm s="a \"q\" b\\c\n, x=1",e="" 1')[2]
        self.assertEqual(fields, [("s", lp.STRING, 'a "q" b\\c\\n, x=1'), ("e", lp.STRING, "")])

    def test_numbers_and_booleans(self):
        fields = lp.parse_line("m a=1,b=-2.5e3,c=9223372036854775807i,d=-9223372036854775808i,"
                               "e=18446744073709551615u,f=t,g=FALSE,h=True,i=1.")[2]
        self.assertEqual([v for _, _, v in fields],
                         [1.0, -2500.0, 2 ** 63 - 1, -(2 ** 63), 2 ** 64 - 1, True, False, True, 1.0])
        self.assertEqual([t for _, t, _ in fields],
                         [lp.FLOAT, lp.FLOAT, lp.INTEGER, lp.INTEGER, lp.UINTEGER, lp.BOOLEAN,
                          lp.BOOLEAN, lp.BOOLEAN, lp.FLOAT])

    def test_errors_carry_the_servers_messages(self):
        cases = {
            "cpu,host=a val= 123": "No fields were provided",
            "cpu": "No fields were provided",
            ",t=a v=1": "Invalid measurement was provided",
            "m v=9223372036854775808i": "Unable to parse integer value `9223372036854775808i`",
            "m v=-1u": "Unable to parse unsigned integer value `-1u`",
            "m v=nan": "Unable to parse floating-point value `nan`",
            "m v=1 12x": "Unable to parse timestamp value `12x`",
            "m,t=a,t=b v=1": "Must not contain duplicate tags, but `t` was repeated",
        }
        for line, message in cases.items():
            with self.assertRaises(lp.LineError, msg=line) as e:
                lp.parse_line(line)
            self.assertEqual(str(e.exception), message, line)

    def test_lines_comments_and_newlines_in_strings(self):
        body = '# a comment\n  m v=1 1\n\nm s="two\nlines" 2\r\nm v=2 3'
        self.assertEqual(lp.split_lines(body), [(2, "m v=1 1"), (4, 'm s="two\nlines" 2'), (6, "m v=2 3")])


class Corpus(unittest.TestCase):
    """Lines of the shared corpus whose meaning InfluxDB 3 shares with 1.x/2.x: not those with a
    double backslash in a name or tag (3.x unescapes it) or with \\n, \\t, \\r in a string field
    (the Go lineprotocol library decodes those, 3.x keeps them), and not a line that starts with
    # (a comment to 3.x)."""

    def test_corpus(self):
        if not os.path.exists(CORPUS):
            self.skipTest("no corpus at %s" % CORPUS)
        checked = 0
        with open(CORPUS, encoding="utf-8") as f:
            cases = [json.loads(raw) for raw in f]
        for case in cases:
            point = case.get("point")
            if "ref_line" not in case or not point:
                continue
            line = bytes.fromhex(case["ref_line"]).decode("utf-8")
            if "\\\\" in line or any(e in line for e in ("\\n", "\\t", "\\r")) or "\t" in line or line.startswith("#"):
                continue
            lines = lp.split_lines(line)
            self.assertEqual(len(lines), 1, case["id"])
            m, tags, fields, ts = lp.parse_line(lines[0][1])
            self.assertEqual(m, bytes.fromhex(point["name"]).decode(), case["id"])
            want_tags = sorted((bytes.fromhex(k).decode(), bytes.fromhex(v).decode())
                               for k, v in point["tags"] if v)
            self.assertEqual(sorted(tags), want_tags, case["id"])
            self.assertEqual(sorted(fields), sorted(_field(*f) for f in point["fields"]), case["id"])
            if point.get("time") is not None and case["ref_kind"] != "reference decoder input":
                self.assertEqual(ts, int(point["time"]), case["id"])
            checked += 1
        self.assertGreater(checked, 400)


def _field(key, kind, value):
    key = bytes.fromhex(key).decode()
    if kind == "float":
        return key, lp.FLOAT, struct.unpack(">d", bytes.fromhex(value))[0]
    if kind == "int":
        return key, lp.INTEGER, int(value)
    if kind == "uint":
        return key, lp.UINTEGER, int(value)
    if kind == "bool":
        return key, lp.BOOLEAN, value == "true"
    return key, lp.STRING, bytes.fromhex(value).decode()


if __name__ == "__main__":
    unittest.main()
