#!/usr/bin/env python3
"""A stand-in for the HTTP API of InfluxDB 3 Core, for the package's tests.

No InfluxDB 3 can be installed or built on the test machines, so this serves the routes the
package calls with the server's status codes, headers and bodies, as read in its source
(influxdata/influxdb, influxdb3_server/src/http.rs and the types it uses) and held to the real
server's recorded answers by tools/check-influxdb3-standin.py. SQL runs on DataFusion, the
engine InfluxDB 3 uses; InfluxQL is translated into SQL (see influxql.py for the subset).

    server.py --port 18181 --dir DIR [--bind 127.0.0.1] [--query-file-limit 432]
              [--max-http-request-size 10485760] [--test-hooks]

It listens on the given address only and never opens a connection itself. With --test-hooks
(test use only) a query request with the header `X-Standin-Cut-After: N` gets N bytes of its
body and then a closed connection, as when the real server's stream fails part way.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import query  # noqa: E402
import store  # noqa: E402

VERSION = "3.10.0"  # the release of the source the stand-in follows (d7834110b3, "install script to 3.10")
REVISION = "d7834110b3"
BUILD = "Core"
PRODUCT = "InfluxDB 3 Core"
ACCEPT_FORMATS = {"application/vnd.apache.parquet": "parquet", "text/csv": "csv", "text/plain": "pretty",
                  "application/json": "json", "*/*": "json"}
FORMATS = {"parquet": "parquet", "csv": "csv", "pretty": "pretty", "json": "json", "json_lines": "jsonl",
           "jsonl": "jsonl"}
CONTENT_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv",
                 "pretty": "text/plain; charset=utf-8", "json": "application/json", "jsonl": "application/jsonl"}
ADMIN_TOKEN_PATH = "/api/v3/configure/token/admin"
CHUNK = 64 * 1024


class HttpError(Exception):
    def __init__(self, status, body, content_type=None):
        super().__init__(body)
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.content_type = content_type


def json_error(status, message):
    return HttpError(status, json.dumps({"error": message}, separators=(",", ":"), ensure_ascii=False))


def validate_db_name(name):
    """The server's validate_db_name: its error as {"error": ...} with 400."""
    def bad(msg):
        return json_error(400, msg)
    if not name:
        raise bad("db name cannot be empty")
    if len(name) > 511:
        raise bad("db name too long: max 511")
    if not all(ord(c) < 128 for c in name):
        raise bad("invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens")
    if not name[0].isalnum():
        raise bad("db name did not start with a number or letter")
    slash = False
    for c in name[1:]:
        if c == "/":
            if slash:
                raise bad("db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'")
            slash = True
        elif not (c.isalnum() or c in "_-"):
            raise bad("invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens")
    if name.endswith("/"):
        raise bad("db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'")


def parse_retention(text):
    """A humantime duration such as 30d, 7 days, 1h30m: nanoseconds."""
    units = {"ns": 1, "us": 10 ** 3, "ms": 10 ** 6, "s": 10 ** 9, "sec": 10 ** 9, "second": 10 ** 9, "seconds": 10 ** 9,
             "m": 60 * 10 ** 9, "min": 60 * 10 ** 9, "minute": 60 * 10 ** 9, "minutes": 60 * 10 ** 9,
             "h": 3600 * 10 ** 9, "hr": 3600 * 10 ** 9, "hour": 3600 * 10 ** 9, "hours": 3600 * 10 ** 9,
             "d": 86400 * 10 ** 9, "day": 86400 * 10 ** 9, "days": 86400 * 10 ** 9,
             "w": 7 * 86400 * 10 ** 9, "week": 7 * 86400 * 10 ** 9, "weeks": 7 * 86400 * 10 ** 9,
             "y": 31557600 * 10 ** 9, "year": 31557600 * 10 ** 9, "years": 31557600 * 10 ** 9}
    import re
    parts = re.findall(r"(\d+)\s*([a-z]+)", text.strip())
    if not parts or re.sub(r"(\d+)\s*([a-z]+)", "", text).strip():
        raise HttpError(400, "serde json error: invalid retention period %s" % text)
    total = 0
    for n, u in parts:
        if u not in units:
            raise HttpError(400, "serde json error: unknown time unit %r" % u)
        total += int(n) * units[u]
    return total


class Tokens:
    """Admin tokens as 3.x Core has them: the operator token _admin and named admin tokens."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_name = {}  # name -> dict(id, token, created_at, expiry)
        self.next_id = 0

    def _issue(self, name, expiry_secs=None):
        token = "apiv3_" + base64.urlsafe_b64encode(secrets.token_bytes(64)).decode().rstrip("=")
        now_ms = int(time.time() * 1000)
        info = {"id": self.next_id, "name": name, "token": token, "created_ms": now_ms,
                "expiry_ms": now_ms + expiry_secs * 1000 if expiry_secs else None}
        self.next_id += 1
        self.by_name[name] = info
        return info

    def create_admin(self, regenerate):
        with self.lock:
            if "_admin" in self.by_name and not regenerate:
                raise HttpError(409, "token name already exists, _admin")
            if regenerate and "_admin" not in self.by_name:
                raise HttpError(500, "missing admin token, cannot update")
            return self._issue("_admin")

    def create_named(self, name, expiry_secs):
        with self.lock:
            if name in self.by_name:
                raise HttpError(409, "token name already exists, %s" % name)
            return self._issue(name, expiry_secs)

    def delete(self, name):
        with self.lock:
            if name == "_admin":
                raise HttpError(405, "cannot delete operator token")
            if name not in self.by_name:
                raise HttpError(404, "the requested resource was not found: %s" % name)
            del self.by_name[name]

    def valid(self, token):
        now_ms = int(time.time() * 1000)
        with self.lock:
            return any(i["token"] == token and (i["expiry_ms"] is None or i["expiry_ms"] > now_ms)
                       for i in self.by_name.values())


def token_response(info):
    def stamp(ms):
        dt = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
        frac = ".%03d" % (ms % 1000) if ms % 1000 else ""
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"
    return json.dumps({
        "id": info["id"], "name": info["name"], "token": info["token"],
        "hash": hashlib.sha512(info["token"].encode()).hexdigest(),
        "created_at": stamp(info["created_ms"]),
        "expiry": stamp(info["expiry_ms"]) if info["expiry_ms"] else None,
    }, separators=(",", ":")).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every response.
    disable_nagle_algorithm = True
    server_version = "influxdb3-standin"
    sys_version = ""

    def log_message(self, fmt, *args):
        logging.info("%s %s", self.address_string(), fmt % args)

    # ------------------------------------------------------------ plumbing

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_DELETE(self):
        self.route("DELETE")

    def do_OPTIONS(self):
        self.send_response(204)
        for h in ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
            self.send_header(h, "*")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def respond(self, status, body=b"", content_type=None, headers=()):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Access-Control-Allow-Origin", "*")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def stream(self, pieces, content_type):
        """A body sent in chunks, as the server streams query results batch by batch."""
        cut = None
        if self.server.test_hooks and self.headers.get("X-Standin-Cut-After"):
            cut = int(self.headers["X-Standin-Cut-After"])
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        for piece in pieces:
            for i in range(0, len(piece), CHUNK):
                part = piece[i:i + CHUNK]
                if cut is not None and sent + len(part) > cut:
                    part = part[:cut - sent]
                    if part:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                sent += len(part)
        self.wfile.write(b"0\r\n\r\n")

    def read_body(self):
        """The body, size-limited and gunzipped as the server's read_body does it."""
        limit = self.server.max_request_bytes
        encoding = self.headers.get("Content-Encoding")
        if encoding not in (None, "identity", "gzip"):
            self.discard_body()
            raise HttpError(400, "unacceptable content-encoding: %s" % encoding)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
                if len(data) > limit:
                    self.close_connection = True
                    raise HttpError(413, "max request size (%d bytes) exceeded" % limit)
            body = bytes(data)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            if length > limit:
                self.close_connection = True
                raise HttpError(413, "max request size (%d bytes) exceeded" % limit)
            body = self.rfile.read(length) if length else b""
        if encoding == "gzip":
            try:
                d = gzip.GzipFile(fileobj=__import__("io").BytesIO(body))
                body = d.read(limit + 1)
            except (OSError, EOFError) as e:
                raise HttpError(400, "error decoding gzip stream: %s" % e)
            if len(body) > limit:
                raise HttpError(413, "max request size (%d bytes) exceeded" % limit)
        return body

    def discard_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def read_json(self):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not (ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))):
            self.discard_body()
            raise HttpError(415, "unacceptable content-type, expected: application/json")
        body = self.read_body()
        try:
            return json.loads(body)
        except ValueError as e:
            raise HttpError(400, "serde json error: %s" % e)

    def params(self):
        return dict(urllib.parse.parse_qsl(self.url.query, keep_blank_values=True))

    def authenticate(self):
        if self.server.no_auth:
            return
        token = None
        if self.url.path in ("/query", "/write"):
            token = self.params().get("p")
        if token is None:
            header = self.headers.get("Authorization")
            if header is not None:
                parts = header.split(" ")
                if len(parts) != 2 or parts[0] not in ("Bearer", "Token", "Basic"):
                    raise HttpError(400, '{"error": "Authorization header was malformed, the request was not in the form of \'Authorization: <auth-scheme> <token>\', supported auth-schemes are Bearer, Token and Basic"}')
                token = parts[1]
                if parts[0] == "Basic":
                    try:
                        user, _, token = base64.b64decode(parts[1], validate=True).decode("utf-8").rpartition(":")
                    except (ValueError, UnicodeDecodeError):
                        raise HttpError(400, '{"error": "Authorization header was malformed, the request was not in the form of \'Authorization: <auth-scheme> <token>\', supported auth-schemes are Bearer, Token and Basic"}')
                    if not _ or ":" in user:
                        raise HttpError(400, '{"error": "Authorization header was malformed, the request was not in the form of \'Authorization: <auth-scheme> <token>\', supported auth-schemes are Bearer, Token and Basic"}')
        if token is None or not self.server.tokens.valid(token):
            raise HttpError(401, '{"error": "the request was not authenticated"}')

    def route(self, method):
        self.url = urllib.parse.urlsplit(self.path)
        path = self.url.path
        try:
            if self.server.no_auth and path.startswith("/api/v3/configure/token"):
                raise HttpError(405, "endpoint disabled, started without auth")
            if path != ADMIN_TOKEN_PATH:
                self.authenticate()
            handler = ROUTES.get((method, path))
            if handler is None:
                self.discard_body()
                raise HttpError(404, "not found")
            handler(self)
        except HttpError as e:
            self.respond(e.status, e.body, e.content_type)
        except query.QueryError as e:
            self.respond(e.status, e.body.encode("utf-8"))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug in the stand-in: say so, never hang the client
            logging.exception("internal error")
            self.respond(500, ("the InfluxDB 3 stand-in failed: %s" % e).encode("utf-8"))

    # ------------------------------------------------------------ routes

    def ping(self):
        body = json.dumps({"product_name": PRODUCT, "version": VERSION, "revision": REVISION,
                           "process_id": self.server.process_id}, separators=(",", ":"))
        rid = str(uuid.uuid4())
        self.respond(200, body.encode(), "application/json", [
            ("Request-Id", rid), ("X-Influxdb-Build", BUILD), ("X-Influxdb-Version", VERSION), ("X-Request-Id", rid)])

    def health(self):
        self.respond(200, b"OK", "text/plain; charset=utf-8")

    def write_lp(self):
        if not self.url.query:
            self.discard_body()
            raise HttpError(400, "missing query parameter 'db'")
        p = self.params()
        if "db" not in p:
            self.discard_body()
            raise HttpError(400, "serde error: missing field `db`")
        precision = p.get("precision", "auto")
        if precision not in store.PRECISIONS:
            self.discard_body()
            raise HttpError(400, "serde error: unknown variant `%s`, expected one of `auto`, `second`, `s`, `millisecond`, `ms`, `microsecond`, `us`, `u`, `nanosecond`, `ns`, `n`" % precision)
        accept_partial = p.get("accept_partial", "true")
        if accept_partial not in ("true", "false") or p.get("no_sync", "false") not in ("true", "false"):
            self.discard_body()
            raise HttpError(400, "serde error: provided string was not `true` or `false`")
        self.write(p["db"], precision, accept_partial == "true")

    def write(self, db, precision, accept_partial, v2=False):
        try:
            validate_db_name(db)
        except HttpError:
            self.discard_body()
            raise
        body = self.read_body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise HttpError(400, "body content is not valid utf8: %s" % e)
        lines, errors = self.server.store.write(db, text, precision, accept_partial, time.time_ns())
        if not errors and lines == 0:
            raise v2_error("write buffer error: incoming write was empty") if v2 else \
                HttpError(400, "incoming write was empty")
        if not errors:
            self.respond(204)
            return
        if v2:  # /api/v2/write never accepts part of a body; its errors are {"code","message"}
            raise v2_error("write buffer error: line protocol parse failed: %s" % errors[0]["error_message"])
        for e in errors:
            # The server lists at most 20 bytes of each bad line (WriteLineError's Serialize).
            e["original_line"] = truncate_utf8(e["original_line"], 20)
        if accept_partial:
            body = {"error": "partial write of line protocol occurred", "data": errors}
        else:
            body = {"error": "line protocol parsing error", "data": errors[0]}
        raise HttpError(400, json.dumps(body, separators=(",", ":"), ensure_ascii=False))

    def write_v1(self):
        p = self.params()
        precision = {"h": None, "m": None}.get(p.get("precision"), p.get("precision", "ns"))
        if precision not in ("s", "ms", "u", "us", "ns", "n"):
            self.discard_body()
            raise HttpError(400, "invalid precision value: %s" % p.get("precision"))
        if not p.get("db"):
            self.discard_body()
            raise HttpError(400, "missing query parameter 'db'")
        db = p["db"] + ("/" + p["rp"] if p.get("rp") and p["rp"] != "autogen" else "")
        self.write(db, precision, False)

    def write_v2(self):
        p = self.params()
        precision = p.get("precision", "ns")
        if not p.get("bucket") or precision not in ("s", "ms", "us", "ns"):
            self.discard_body()
            raise v2_error("invalid write parameters: bucket and precision (s, ms, us, ns)")
        try:
            validate_db_name(p["bucket"])
        except HttpError as e:
            self.discard_body()
            raise v2_error(json.loads(e.body)["error"])
        self.write(p["bucket"], precision, False, v2=True)

    def query_request(self, influxql_endpoint):
        accept = self.headers.get("Accept")
        if accept is None or accept in ACCEPT_FORMATS:
            header_format = ACCEPT_FORMATS.get(accept, "json")
        elif "text/html" in accept or "*/*" in accept:
            header_format = "json"
        else:
            self.discard_body()
            raise HttpError(400, "invalid mime type (%s)" % accept)
        if self.command == "GET":
            if not self.url.query:
                raise HttpError(400, "missing query parameters 'db' and 'q'")
            p = self.params()
            req = {"db": p.get("db"), "q": p.get("q"), "format": p.get("format")}
            if p.get("params") is not None:
                try:
                    req["params"] = json.loads(p["params"])
                except ValueError as e:
                    raise HttpError(400, "serde json error: %s" % e)
        else:
            try:
                req = json.loads(self.read_body())
            except ValueError as e:
                raise HttpError(400, "serde json error: %s" % e)
            if not isinstance(req, dict):
                raise HttpError(400, "serde json error: invalid type: expected struct QueryRequest")
        if req.get("q") is None:
            raise HttpError(400, "serde error: missing field `q`" if self.command == "GET" else "serde json error: missing field `q`")
        if req.get("db") is None and not influxql_endpoint:
            raise HttpError(400, "serde error: missing field `db`" if self.command == "GET" else "serde json error: missing field `db`")
        fmt = req.get("format")
        if fmt is not None:
            if fmt not in FORMATS:
                raise HttpError(400, "serde error: unknown variant `%s`, expected one of `parquet`, `csv`, `pretty`, `json`, `json_lines`" % fmt)
            fmt = FORMATS[fmt]
        fmt = fmt or header_format
        if fmt == "parquet":
            raise HttpError(400, "the InfluxDB 3 stand-in does not write parquet")
        params = req.get("params") or None
        return req.get("db"), req["q"], fmt, params

    def query_sql(self):
        db, q, fmt, params = self.query_request(False)
        table = query.run_sql(self.server.store, db, q, params, self.server.file_limit)
        self.stream(query.encode(table, fmt, self.server.dir), CONTENT_TYPES[fmt])

    def query_influxql(self):
        db, q, fmt, params = self.query_request(True)
        table = query.run_influxql(self.server.store, db, q, params, self.server.file_limit)
        self.stream(query.encode(table, fmt, self.server.dir), CONTENT_TYPES[fmt])

    def list_databases(self):
        p = self.params()
        fmt = p.get("format")
        if fmt is None:
            raise HttpError(400, "serde error: missing field `format`")
        if fmt not in FORMATS or FORMATS[fmt] == "parquet":
            raise HttpError(400, "serde error: unknown variant `%s`, expected one of `parquet`, `csv`, `pretty`, `json`, `json_lines`" % fmt)
        fmt = FORMATS[fmt]
        show_deleted = p.get("show_deleted", "false") == "true"
        st = self.server.store
        with st.lock:
            dbs = sorted(st.databases.values(), key=lambda d: (d.deleted, d.name))
            if not show_deleted:
                dbs = [d for d in dbs if not d.deleted]
            import pyarrow as pa
            cols = [pa.array([d.name for d in dbs], pa.utf8())]
            names = ["iox::database"]
            if show_deleted:
                cols.append(pa.array([d.deleted for d in dbs], pa.bool_()))
                names.append("deleted")
            table = pa.table(cols, names=names)
        self.stream(query.encode(table, fmt, self.server.dir), CONTENT_TYPES[fmt])

    def create_database(self):
        req = self.read_json()
        if not isinstance(req, dict) or not isinstance(req.get("db"), str):
            raise HttpError(400, "serde json error: missing field `db`")
        validate_db_name(req["db"])
        retention = req.get("retention_period")
        retention_ns = parse_retention(retention) if retention else None
        st = self.server.store
        with st.lock:
            if st.live(req["db"]) is not None:
                raise HttpError(409, "attempted to create a resource that already exists")
            st.create(req["db"], retention_ns)
        self.respond(200)

    def delete_database(self):
        p = self.params()
        if "db" not in p:
            raise HttpError(400, "serde error: missing field `db`")
        st = self.server.store
        with st.lock:
            if st.live(p["db"]) is None:
                raise HttpError(404, "the requested resource was not found: %s" % p["db"])
            st.soft_delete(p["db"])
        self.respond(200)

    def delete_table(self):
        # DELETE /api/v3/configure/table?db=&table=: a soft delete, the table is gone from queries.
        p = self.params()
        for key in ("db", "table"):
            if key not in p:
                raise HttpError(400, "serde error: missing field `%s`" % key)
        st = self.server.store
        with st.lock:
            db = st.live(p["db"])
            if db is None:
                raise HttpError(404, "the requested resource was not found: %s" % p["db"])
            if p["table"] not in db.tables:
                raise HttpError(404, "the requested resource was not found: %s" % p["table"])
            db.drop_table(p["table"])
        self.respond(200)

    def create_admin_token(self):
        self.discard_body()
        self.respond(201, token_response(self.server.tokens.create_admin(False)), "json")

    def regenerate_admin_token(self):
        self.discard_body()
        self.respond(201, token_response(self.server.tokens.create_admin(True)), "json")

    def create_named_admin_token(self):
        req = self.read_json()
        if not isinstance(req, dict) or not isinstance(req.get("token_name"), str):
            raise HttpError(400, "serde json error: missing field `token_name`")
        info = self.server.tokens.create_named(req["token_name"], req.get("expiry_secs"))
        self.respond(201, token_response(info), "json")

    def delete_token(self):
        p = self.params()
        if "token_name" not in p:
            raise HttpError(400, "serde error: missing field `token_name`")
        self.server.tokens.delete(p["token_name"])
        self.respond(200)

    def query_v1(self):
        raise HttpError(404, "the InfluxDB 3 stand-in does not serve the v1 /query endpoint")


def v2_error(message, status=400, code="invalid"):
    return HttpError(status, json.dumps({"code": code, "message": message}, separators=(",", ":"), ensure_ascii=False))


def truncate_utf8(text, limit):
    raw = text.encode("utf-8")[:limit]
    return raw.decode("utf-8", errors="ignore")


ROUTES = {
    ("GET", "/ping"): Handler.ping, ("POST", "/ping"): Handler.ping,
    ("GET", "/health"): Handler.health, ("GET", "/api/v1/health"): Handler.health,
    ("POST", "/api/v3/write_lp"): Handler.write_lp,
    ("POST", "/write"): Handler.write_v1,
    ("POST", "/api/v2/write"): Handler.write_v2,
    ("GET", "/api/v3/query_sql"): Handler.query_sql, ("POST", "/api/v3/query_sql"): Handler.query_sql,
    ("GET", "/api/v3/query_influxql"): Handler.query_influxql,
    ("POST", "/api/v3/query_influxql"): Handler.query_influxql,
    ("GET", "/api/v3/configure/database"): Handler.list_databases,
    ("POST", "/api/v3/configure/database"): Handler.create_database,
    ("DELETE", "/api/v3/configure/database"): Handler.delete_database,
    ("DELETE", "/api/v3/configure/table"): Handler.delete_table,
    ("POST", ADMIN_TOKEN_PATH): Handler.create_admin_token,
    ("POST", ADMIN_TOKEN_PATH + "/regenerate"): Handler.regenerate_admin_token,
    ("POST", "/api/v3/configure/token/named_admin"): Handler.create_named_admin_token,
    ("DELETE", "/api/v3/configure/token"): Handler.delete_token,
    ("GET", "/query"): Handler.query_v1, ("POST", "/query"): Handler.query_v1,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    ap = argparse.ArgumentParser(description="InfluxDB 3 Core HTTP API stand-in (for tests)")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8181)
    ap.add_argument("--dir", required=True, help="directory for the log and scratch files")
    ap.add_argument("--query-file-limit", type=int, default=432)
    ap.add_argument("--max-http-request-size", type=int, default=10485760)
    ap.add_argument("--without-auth", action="store_true")
    ap.add_argument("--test-hooks", action="store_true", help="test only: honour X-Standin-Cut-After")
    args = ap.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    logging.basicConfig(filename=os.path.join(args.dir, "server.log"), level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    srv = Server((args.bind, args.port), Handler)
    srv.store = store.Store()
    srv.tokens = Tokens()
    srv.dir = os.path.join(args.dir, "scratch")
    os.makedirs(srv.dir, exist_ok=True)
    srv.file_limit = args.query_file_limit
    srv.max_request_bytes = args.max_http_request_size
    srv.no_auth = args.without_auth
    srv.test_hooks = args.test_hooks
    srv.process_id = str(uuid.uuid4())

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.info("InfluxDB 3 stand-in %s listening on %s:%d", VERSION, args.bind, args.port)
    srv.serve_forever()
    srv.server_close()
    logging.info("stopped")


if __name__ == "__main__":
    main()
