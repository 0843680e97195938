"""The stand-in over HTTP: routes, auth, formats and Accept rules, writes, databases, tokens,
limits, the test-only cut of a body, concurrency and SIGTERM. Each fact is the real server's, as
its source (influxdb3_server/src/http.rs) and its tests state it."""

import base64
import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp()
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), "--port", str(self.port),
                                      "--dir", self.dir] + list(args), stderr=subprocess.PIPE)
        for _ in range(200):
            try:
                status, _, body = self.request("POST", "/api/v3/configure/token/admin")
                self.token = json.loads(body)["token"] if status == 201 else None
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("stand-in did not start")

    def request(self, method, path, body=None, headers=None, token=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        c.request(method, path, body, h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(10)


def q(**params):
    return urllib.parse.urlencode(params)


class Http(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--test-hooks", "--max-http-request-size", "100000", "--query-file-limit", "3")
        cls.tok = cls.srv.token
        status, _, body = cls.srv.request("POST", "/api/v3/write_lp?db=t&precision=s", token=cls.tok,
                                          body=b"m,k=a v=1.5,i=-3i 1000000000\nm,k=b v=2,s=\"x\" 1000000060")
        assert status == 204, body

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def get(self, path, **kw):
        return self.srv.request("GET", path, token=kw.pop("token", self.tok), **kw)

    def test_first_admin_token_only_once(self):
        status, headers, body = self.srv.request("POST", "/api/v3/configure/token/admin")
        self.assertEqual((status, body), (409, b"token name already exists, _admin"))

    def test_auth_schemes_and_401(self):
        basic = base64.b64encode(("anyone:" + self.tok).encode()).decode()
        for h in ({"Authorization": "Bearer " + self.tok}, {"Authorization": "Token " + self.tok},
                  {"Authorization": "Basic " + basic}):
            self.assertEqual(self.srv.request("GET", "/health", headers=h)[0], 200, h)
        status, _, body = self.srv.request("GET", "/ping")
        self.assertEqual((status, json.loads(body)), (401, {"error": "the request was not authenticated"}))
        self.assertEqual(self.srv.request("GET", "/ping", headers={"Authorization": "Bearer nope"})[0], 401)
        self.assertEqual(self.srv.request("GET", "/ping", headers={"Authorization": "Bearer"})[0], 400)
        # v1 p= works on /write and /query only.
        self.assertEqual(self.srv.request("POST", "/write?" + q(db="auth", p=self.tok), body=b"m v=1 1")[0], 204)
        self.assertEqual(self.srv.request("GET", "/health?" + q(p=self.tok))[0], 401)

    def test_ping_and_health(self):
        status, headers, body = self.get("/ping")
        self.assertEqual(status, 200)
        self.assertRegex(headers["X-Influxdb-Version"], r"^3\.\d+\.\d+$")
        self.assertEqual(headers["X-Influxdb-Build"], "Core")
        self.assertEqual(set(json.loads(body)), {"product_name", "version", "revision", "process_id"})
        self.assertEqual(self.srv.request("POST", "/ping", token=self.tok)[0], 200)
        status, headers, body = self.get("/api/v1/health")
        self.assertEqual((status, headers["Content-Type"], body), (200, "text/plain; charset=utf-8", b"OK"))

    def test_unknown_routes_are_404(self):
        self.assertEqual(self.get("/api/v3/nothing")[::2], (404, b"not found"))
        self.assertEqual(self.srv.request("PUT", "/api/v3/query_sql", token=self.tok)[0], 404)

    def test_formats_and_accept(self):
        sql = "SELECT k, v FROM m ORDER BY time"
        status, headers, body = self.get("/api/v3/query_sql?" + q(db="t", q=sql))
        self.assertEqual((headers["Content-Type"], body), ("application/json", b'[{"k":"a","v":1.5},{"k":"b","v":2.0}]'))
        for fmt in ("jsonl", "json_lines"):
            status, headers, body = self.get("/api/v3/query_sql?" + q(db="t", q=sql, format=fmt))
            self.assertEqual((headers["Content-Type"], body), ("application/jsonl", b'{"k":"a","v":1.5}\n{"k":"b","v":2.0}\n'))
        status, headers, body = self.get("/api/v3/query_sql?" + q(db="t", q=sql), headers={"Accept": "text/csv"})
        self.assertEqual(body, b"k,v\na,1.5\nb,2.0\n")
        # Any other Accept value is an error, even with format=.
        status, _, body = self.get("/api/v3/query_sql?" + q(db="t", q=sql, format="jsonl"),
                                   headers={"Accept": "application/x-ndjson"})
        self.assertEqual((status, body), (400, b"invalid mime type (application/x-ndjson)"))
        status, _, body = self.get("/api/v3/query_sql?" + q(db="t", q=sql, format="jsonl"),
                                   headers={"Accept": "application/json"})
        self.assertEqual(status, 200)
        status, _, body = self.srv.request("POST", "/api/v3/query_sql", token=self.tok, body=json.dumps(
            {"db": "t", "q": "SELECT v FROM m WHERE k = $k", "params": {"k": "b"}, "format": "jsonl"}))
        self.assertEqual((status, body), (200, b'{"v":2.0}\n'))

    def test_query_errors(self):
        status, _, body = self.get("/api/v3/query_sql?" + q(db="nope", q="SELECT 1"))
        self.assertEqual((status, json.loads(body)), (404, {"error": "query error: database not found: nope"}))
        status, _, body = self.get("/api/v3/query_sql?" + q(db="t", q="SELECT * FROM absent"))
        self.assertEqual((status, body), (400, b"Error during planning: table 'public.iox.absent' not found"))
        status, _, body = self.get("/api/v3/query_influxql?" + q(db="t", q="SELECT v FROM m; SELECT v FROM m"))
        self.assertEqual((status, body), (400, b"must provide only one InfluxQl statement per query"))

    def test_influxql_and_information_schema(self):
        status, _, body = self.get("/api/v3/query_influxql?" + q(db="t", q="SELECT v FROM m", format="jsonl"))
        self.assertEqual(body.splitlines()[0], b'{"iox::measurement":"m","time":"2001-09-09T01:46:40","v":1.5}')
        sql = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'm' ORDER BY column_name"
        rows = [json.loads(x) for x in self.get("/api/v3/query_sql?" + q(db="t", q=sql, format="jsonl"))[2].splitlines()]
        self.assertEqual({r["column_name"]: r["data_type"] for r in rows}["k"], "Dictionary(Int32, Utf8)")

    def test_writes_partial_gzip_and_limits(self):
        lp = b"w v=1 1\nw v=1i 2\nw,t=a v= 3\nw v=2 4"
        status, _, body = self.srv.request("POST", "/api/v3/write_lp?db=w&precision=ns", lp, token=self.tok)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body), {"error": "partial write of line protocol occurred", "data": [
            {"error_message": "invalid column type for column 'v', expected iox::column_type::field::float, got iox::column_type::field::integer",
             "line_number": 2, "original_line": "w v=1i 2"},
            {"error_message": "No fields were provided", "line_number": 3, "original_line": "w,t=a v= 3"}]})
        rows = self.get("/api/v3/query_sql?" + q(db="w", q="SELECT count(*) AS n FROM w", format="jsonl"))[2]
        self.assertEqual(rows, b'{"n":2}\n')
        status, _, body = self.srv.request("POST", "/api/v3/write_lp?db=w2&accept_partial=false", lp, token=self.tok)
        self.assertEqual(json.loads(body)["error"], "line protocol parsing error")
        self.assertEqual(json.loads(body)["data"]["line_number"], 2)
        status, _, body = self.srv.request("POST", "/api/v3/write_lp?db=w&precision=ns", gzip.compress(b"w v=5 9"),
                                           {"Content-Encoding": "gzip"}, token=self.tok)
        self.assertEqual(status, 204)
        status, _, body = self.srv.request("POST", "/api/v3/write_lp?db=w", b"x" * 100001, token=self.tok)
        self.assertEqual((status, body), (413, b"max request size (100000 bytes) exceeded"))
        status, _, body = self.srv.request("POST", "/api/v3/write_lp?db=w", gzip.compress(b"w v=1 1\n" * 20000),
                                           {"Content-Encoding": "gzip"}, token=self.tok)
        self.assertEqual(status, 413)
        status, _, body = self.srv.request("POST", "/api/v3/write_lp?db=bad%23name", b"w v=1", token=self.tok)
        self.assertEqual((status, json.loads(body)["error"][:30]), (400, "invalid character in database "))
        status, _, body = self.srv.request("POST", "/api/v2/write?bucket=w&precision=ns", b"w v=", token=self.tok)
        self.assertEqual((status, json.loads(body)["code"]), (400, "invalid"))

    def test_file_limit(self):
        lp = "\n".join("f v=1 %d" % (k * 600) for k in range(5)).encode()
        self.assertEqual(self.srv.request("POST", "/api/v3/write_lp?db=fl&precision=s", lp, token=self.tok)[0], 204)
        status, _, body = self.get("/api/v3/query_sql?" + q(db="fl", q="SELECT * FROM f"))
        self.assertEqual(status, 500)
        self.assertTrue(body.startswith(b"External error: Query would scan 3 Parquet files, exceeding the file limit."))
        sql = "SELECT count(*) AS n FROM f WHERE time >= '1970-01-01T00:20:00Z'"
        self.assertEqual(self.get("/api/v3/query_sql?" + q(db="fl", q=sql, format="jsonl"))[2], b'{"n":3}\n')
        # a quoted "time" and a TIMESTAMP literal, as the package's SQL dialect writes them
        sql = "SELECT count(*) AS n FROM f WHERE \"time\" >= TIMESTAMP '1970-01-01T00:20:00Z'"
        self.assertEqual(self.get("/api/v3/query_sql?" + q(db="fl", q=sql, format="jsonl"))[2], b'{"n":3}\n')
        # an OR among tags leaves the time range to prune by; one on time does not
        sql = "SELECT count(*) AS n FROM f WHERE time >= '1970-01-01T00:20:00Z' AND (v = 1 OR v = 2)"
        self.assertEqual(self.get("/api/v3/query_sql?" + q(db="fl", q=sql, format="jsonl"))[2], b'{"n":3}\n')
        sql = "SELECT count(*) AS n FROM f WHERE time >= '1970-01-01T00:20:00Z' OR v = 2"
        self.assertEqual(self.get("/api/v3/query_sql?" + q(db="fl", q=sql, format="jsonl"))[0], 500)

    def test_databases(self):
        h = {"Content-Type": "application/json"}
        self.assertEqual(self.srv.request("POST", "/api/v3/configure/database", json.dumps(
            {"db": "d1", "retention_period": "30d"}), h, token=self.tok)[0], 200)
        status, _, body = self.srv.request("POST", "/api/v3/configure/database", json.dumps({"db": "d1"}), h, token=self.tok)
        self.assertEqual((status, body), (409, b"attempted to create a resource that already exists"))
        self.assertEqual(self.srv.request("POST", "/api/v3/configure/database", json.dumps({"db": "d1"}), token=self.tok)[0], 415)
        listed = json.loads(self.get("/api/v3/configure/database?format=json")[2])
        self.assertIn({"iox::database": "d1"}, listed)
        self.assertEqual(self.get("/api/v3/configure/database")[0], 400)  # format is required
        rp = [json.loads(x) for x in self.get("/api/v3/query_influxql?" + q(q="SHOW RETENTION POLICIES", format="jsonl"))[2].splitlines()]
        self.assertIn({"iox::database": "d1", "name": "autogen", "duration": "720h0m0s"}, rp)
        self.assertEqual(self.srv.request("DELETE", "/api/v3/configure/database?db=d1", token=self.tok)[0], 200)
        self.assertNotIn({"iox::database": "d1"}, json.loads(self.get("/api/v3/configure/database?format=json")[2]))
        shown = [json.loads(x) for x in self.get("/api/v3/query_influxql?" + q(q="SHOW DATABASES", format="jsonl"))[2].splitlines()]
        deleted = [r for r in shown if r["deleted"]]
        self.assertEqual(len(deleted), 1)
        self.assertRegex(deleted[0]["iox::database"], r"^d1-\d{8}T\d{6}$")
        self.assertEqual(self.srv.request("DELETE", "/api/v3/configure/database?db=d1", token=self.tok)[0], 404)

    def test_a_database_without_tables_answers_queries(self):
        # The server answers an empty result (and an empty system table), not an error, for a
        # database that has no table yet.
        h = {"Content-Type": "application/json"}
        self.assertEqual(self.srv.request("POST", "/api/v3/configure/database", json.dumps({"db": "empty1"}), h,
                                          token=self.tok)[0], 200)
        status, _, body = self.get("/api/v3/query_sql?" + q(db="empty1", format="jsonl",
                                   q="SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'"))
        self.assertEqual((status, body), (200, b""))
        status, _, body = self.get("/api/v3/query_sql?" + q(db="empty1", format="jsonl", q="SELECT * FROM system.parquet_files"))
        self.assertEqual((status, body), (200, b""))

    def test_tables_are_deleted(self):
        self.assertEqual(self.srv.request("POST", "/api/v3/write_lp?db=tdel&precision=s", "gone v=1 1\nkept v=2 1",
                                          token=self.tok)[0], 204)
        self.assertEqual(self.srv.request("DELETE", "/api/v3/configure/table?db=tdel&table=gone", token=self.tok)[0], 200)
        tables = self.get("/api/v3/query_sql?" + q(db="tdel", format="jsonl",
                          q="SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'"))[2]
        self.assertEqual([json.loads(x)["table_name"] for x in tables.splitlines()], ["kept"])
        self.assertEqual(self.get("/api/v3/query_sql?" + q(db="tdel", q="SELECT * FROM gone"))[0], 400)
        self.assertEqual(self.srv.request("DELETE", "/api/v3/configure/table?db=tdel&table=gone", token=self.tok)[0], 404)
        self.assertEqual(self.srv.request("DELETE", "/api/v3/configure/table?db=tdel", token=self.tok)[0], 400)

    def test_tokens(self):
        h = {"Content-Type": "application/json"}
        status, headers, body = self.srv.request("POST", "/api/v3/configure/token/named_admin",
                                                 json.dumps({"token_name": "ci", "expiry_secs": 3600}), h, token=self.tok)
        info = json.loads(body)
        self.assertEqual((status, info["name"]), (201, "ci"))
        self.assertEqual(set(info), {"id", "name", "token", "hash", "created_at", "expiry"})
        self.assertEqual(self.srv.request("GET", "/health", token=info["token"])[0], 200)
        self.assertEqual(self.srv.request("DELETE", "/api/v3/configure/token?token_name=ci", token=self.tok)[0], 200)
        self.assertEqual(self.srv.request("GET", "/health", token=info["token"])[0], 401)
        status, _, body = self.srv.request("DELETE", "/api/v3/configure/token?token_name=_admin", token=self.tok)
        self.assertEqual((status, body), (405, b"cannot delete operator token"))

    def test_cut_body_and_concurrency(self):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        c.request("GET", "/api/v3/query_sql?" + q(db="t", q="SELECT * FROM m", format="jsonl"),
                  headers={"Authorization": "Bearer " + self.tok, "X-Standin-Cut-After": "10"})
        r = c.getresponse()
        with self.assertRaises(http.client.IncompleteRead) as e:
            r.read()
        self.assertEqual(len(e.exception.partial), 10)
        results = []

        def one():
            results.append(self.get("/api/v3/query_sql?" + q(db="t", q="SELECT count(*) AS n FROM m", format="jsonl"))[2])
        threads = [threading.Thread(target=one) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 16)
        self.assertEqual(len(set(results)), 1)


class Lifecycle(unittest.TestCase):
    def test_sigterm_stops_it_and_the_cut_needs_test_hooks(self):
        srv = Server()
        srv.request("POST", "/api/v3/write_lp?db=t", b"m v=1 1", token=srv.token)
        status, _, body = srv.request("GET", "/api/v3/query_sql?" + q(db="t", q="SELECT v FROM m", format="jsonl"),
                                      headers={"X-Standin-Cut-After": "3"}, token=srv.token)
        self.assertEqual(body, b'{"v":1.0}\n')
        srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(srv.proc.wait(10), 0)
        with open(os.path.join(srv.dir, "server.log")) as f:
            self.assertIn("stopped", f.read())


if __name__ == "__main__":
    unittest.main()
