#!/usr/bin/env python3
"""Holds the InfluxDB 3 stand-in to the real server's recorded answers.

    check-influxdb3-standin.py [--vectors FILE] [--python PY] [--url URL --token TOKEN]

For every case of the vectors file (default ../shared/vectors/influxdb3/query-outputs.json
relative to the repository: InfluxData's data, read at run time and never copied into the
project) it writes the case's line protocol with its precision, runs its query on its endpoint
in its format and compares the body byte for byte with the real server's. Cases that share
their line protocol share one fresh stand-in (as the server tests that recorded them each ran
their own server). With --url and --token the cases run in order against that server instead.
Prints one line per case; exits 1 on any difference, 2 when the vectors are missing.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_VECTORS = os.path.join(REPO, "..", "shared", "vectors", "influxdb3", "query-outputs.json")


def http(method, url, token=None, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandIn:
    """A fresh stand-in on a free port, with its first admin token."""

    def __init__(self, python):
        self.dir = tempfile.mkdtemp(prefix="influxdb3-standin-check-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([python, os.path.join(HERE, "influxdb3-standin", "server.py"),
                                      "--port", str(self.port), "--dir", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):
            try:
                status, body = http("POST", self.url + "/api/v3/configure/token/admin")
                self.token = json.loads(body)["token"]
                return
            except (urllib.error.URLError, ConnectionError, ValueError, KeyError):
                if self.proc.poll() is not None:
                    raise RuntimeError("the stand-in exited: %s" % self.proc.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("the stand-in did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def run_case(url, token, case, db):
    params = {"db": case["db"], "q": case["q"], "format": case["format"]}
    params = {k: v for k, v in params.items() if v is not None}
    return http("GET", url + case["endpoint"] + "?" + urllib.parse.urlencode(params), token)


def write(url, token, db, lp, precision):
    query = urllib.parse.urlencode({"db": db, "precision": precision})
    status, body = http("POST", url + "/api/v3/write_lp?" + query, token, lp.encode("utf-8"))
    if status != 204:
        raise RuntimeError("writing the line protocol failed: %d %s" % (status, body.decode("utf-8", "replace")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", default=DEFAULT_VECTORS)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--url")
    ap.add_argument("--token")
    args = ap.parse_args()
    if not os.path.exists(args.vectors):
        print("no recorded answers at %s: nothing to check" % args.vectors)
        return 2
    with open(args.vectors, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    groups = {}
    for i, case in enumerate(cases):
        groups.setdefault((case["lp"], case["precision"]), []).append(i)
    failed = 0
    for (lp, precision), indexes in groups.items():
        db = next((cases[i]["db"] for i in indexes if cases[i]["db"]), None)
        server = None if args.url else StandIn(args.python)
        url, token = (args.url, args.token) if args.url else (server.url, server.token)
        try:
            write(url, token, db, lp, precision)
            for i in indexes:
                case = cases[i]
                status, body = run_case(url, token, case, db)
                expected = case["expected"].encode("utf-8")
                ok = status == 200 and body == expected
                failed += not ok
                print("%s %s %s %r (%s)" % ("ok  " if ok else "FAIL", case["endpoint"], case["format"], case["q"], case["source"]))
                if not ok:
                    print("  status %d\n  expected: %r\n  got:      %r" % (status, expected, body))
        finally:
            if server:
                server.stop()
    print("%d of %d cases match the real server" % (len(cases) - failed, len(cases)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
