"""The stand-in's databases: tables of points kept column by column, turned into Arrow tables and
registered with DataFusion once per change (not per query).

Schema rules of InfluxDB 3: a table's columns are the union of what was written; a column's type
is fixed by its first write (a later write of another type is refused for that line); a name is
either a tag or a field; a point with the same tags and time as an earlier one overwrites the
fields it names. Types on the server: time Timestamp(ns) without zone, tags Dictionary(Int32,
Utf8), fields Float64, Int64, UInt64, Boolean, Utf8.
"""

import bisect
import threading
import time as _time

import pyarrow as pa
from datafusion import SessionConfig, SessionContext

import lineproto

TAG = "tag"
TIME = "time"
ARROW_TYPES = {
    TAG: pa.dictionary(pa.int32(), pa.utf8()),
    TIME: pa.timestamp("ns"),
    lineproto.FLOAT: pa.float64(),
    lineproto.INTEGER: pa.int64(),
    lineproto.UINTEGER: pa.uint64(),
    lineproto.STRING: pa.utf8(),
    lineproto.BOOLEAN: pa.bool_(),
}
# How the server names a column's type in its errors (schema crate, InfluxColumnType).
COLUMN_TYPE_NAMES = {
    TAG: "iox::column_type::tag",
    TIME: "iox::column_type::timestamp",
    lineproto.FLOAT: "iox::column_type::field::float",
    lineproto.INTEGER: "iox::column_type::field::integer",
    lineproto.UINTEGER: "iox::column_type::field::uinteger",
    lineproto.STRING: "iox::column_type::field::string",
    lineproto.BOOLEAN: "iox::column_type::field::boolean",
}
PRECISIONS = {
    "auto": None, "s": 10 ** 9, "second": 10 ** 9, "ms": 10 ** 6, "millisecond": 10 ** 6,
    "us": 10 ** 3, "u": 10 ** 3, "microsecond": 10 ** 3, "ns": 1, "n": 1, "nanosecond": 1,
}
GEN1_BLOCK_NS = 10 * 60 * 10 ** 9  # default gen1 duration: one Parquet file per 10 minutes


def guess_multiplier(ts):
    """The server's `auto` precision: the magnitude of the timestamp names its unit."""
    val = abs(ts) // 10 ** 9
    if val < 5:
        return 10 ** 9
    if val < 5000:
        return 10 ** 6
    if val < 5000000:
        return 10 ** 3
    return 1


class Table:
    def __init__(self, name):
        self.name = name
        self.kinds = {TIME: TIME}  # column -> TAG, TIME or a field type
        self.columns = {TIME: []}
        self.index = {}  # (tags, time) -> row, for overwrites
        self.rows = 0
        self.version = 0
        self._arrow = None
        self._arrow_version = -1
        self._blocks_version = -1

    def check(self, tags, fields):
        """The server's message for a line that does not fit the schema, or None."""
        for key, _ in tags:
            kind = self.kinds.get(key)
            if kind is not None and kind != TAG:
                return "invalid column type for column '%s', expected %s, got %s" % (
                    key, COLUMN_TYPE_NAMES[kind], COLUMN_TYPE_NAMES[TAG])
        names = set()
        for key, ftype, _ in fields:
            kind = self.kinds.get(key)
            if kind is not None and kind != ftype:
                return "invalid column type for column '%s', expected %s, got %s" % (
                    key, COLUMN_TYPE_NAMES[kind], COLUMN_TYPE_NAMES[ftype])
            if key in names:
                return "invalid line protocol - multiple instances of '%s' field found" % key
            if key in (k for k, _ in tags):
                return "invalid column type for column '%s', expected %s, got %s" % (
                    key, COLUMN_TYPE_NAMES[TAG], COLUMN_TYPE_NAMES[ftype])
            names.add(key)
        return None

    def _column(self, name, kind):
        if name not in self.kinds:
            self.kinds[name] = kind
            self.columns[name] = [None] * self.rows
        return self.columns[name]

    def add(self, tags, fields, ts):
        key = (tuple(sorted(tags)), ts)
        row = self.index.get(key)
        if row is None:
            row = self.rows
            self.index[key] = row
            self.rows += 1
            for col in self.columns.values():
                col.append(None)
            self.columns[TIME][row] = ts
            for name, value in tags:
                self._column(name, TAG)[row] = value
        for name, ftype, value in fields:
            self._column(name, ftype)[row] = value
        self.version += 1

    def arrow(self):
        """The table as Arrow, columns in name order as the server's catalog orders them."""
        if self._arrow_version != self.version:
            names = sorted(self.kinds)
            arrays = []
            for name in names:
                kind = self.kinds[name]
                if kind == TAG:
                    arrays.append(pa.array(self.columns[name], pa.utf8()).dictionary_encode())
                else:
                    arrays.append(pa.array(self.columns[name], ARROW_TYPES[kind]))
            self._arrow = pa.table(arrays, names=names)
            self._arrow_version = self.version
        return self._arrow

    def files(self):
        """The table's Parquet files as the stand-in models them (all data persisted, one file
        per 10-minute block): sorted (block, first time, last time, rows)."""
        if self._blocks_version != self.version:
            spans = {}
            for t in self.columns[TIME]:
                b = t // GEN1_BLOCK_NS
                first, last, rows = spans.get(b, (t, t, 0))
                spans[b] = (min(first, t), max(last, t), rows + 1)
            self._files = sorted((b,) + span for b, span in spans.items())
            self._blocks = [(b, first, last) for b, first, last, _ in self._files]
            self._block_ids = [b for b, _, _ in self._blocks]
            self._blocks_version = self.version
        return self._files

    def blocks_between(self, lo, hi):
        """The 10-minute blocks whose data (from its first to its last time) overlaps [lo, hi):
        the Parquet files a query on the server would read."""
        self.files()
        i = bisect.bisect_left(self._block_ids, lo // GEN1_BLOCK_NS)
        j = bisect.bisect_right(self._block_ids, (hi - 1) // GEN1_BLOCK_NS)
        return sum(1 for _, first, last in (self._blocks[i:i + 1] + self._blocks[j - 1:j] if j - i > 2 else self._blocks[i:j])
                   if first < hi and last >= lo) + max(0, j - i - 2)


# The server's system table of persisted files (influxdb3_system_tables/src/parquet_files.rs).
PARQUET_FILES = "system.parquet_files"
PARQUET_FILES_SCHEMA = pa.schema([
    ("table_name", pa.utf8(), False), ("path", pa.utf8(), False), ("size_bytes", pa.uint64(), False),
    ("row_count", pa.uint64(), False), ("min_time", pa.int64(), False), ("max_time", pa.int64(), False)])


def batches_of(table):
    """A table's record batches; an empty table has none, and DataFusion cannot take a table of no
    batches (it has no schema then), so it gets one empty batch."""
    return table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]


class Database:
    def __init__(self, name, retention_ns=None):
        self.name = name
        self.retention_ns = retention_ns
        self.tables = {}
        self.deleted = False
        self.version = 0
        self._ctx = None
        self._registered = {}
        self._files_version = None

    def drop_table(self, name):
        """Soft delete: the table leaves the catalog the queries see."""
        self.tables.pop(name)
        if self._ctx is not None and name in self._registered:
            self._ctx.deregister_table('"' + name.replace('"', '""') + '"')
        self._registered.pop(name, None)
        self.version += 1

    def context(self):
        """A DataFusion session with every table registered; a table is registered again only
        after it changed."""
        if self._ctx is None:
            # Tables live in catalog "public", schema "iox", as on the server.
            config = (SessionConfig().with_information_schema(True).with_target_partitions(1)
                      .with_create_default_catalog_and_schema(True)
                      .with_default_catalog_and_schema("public", "iox"))
            self._ctx = SessionContext(config)
            self._ctx.sql("CREATE SCHEMA system").collect()
        if self._files_version != self.version:
            if self._files_version is not None:
                self._ctx.deregister_table(PARQUET_FILES)
            self._ctx.register_record_batches(PARQUET_FILES, [batches_of(self.parquet_files())])
            self._files_version = self.version
        for name, table in self.tables.items():
            if self._registered.get(name) != table.version:
                # DataFusion parses a registered name as SQL: quoted, " lead", "CPU" and "a.b" stay
                # the names they are, as in the server's catalog.
                quoted = '"' + name.replace('"', '""') + '"'
                if name in self._registered:
                    self._ctx.deregister_table(quoted)
                self._ctx.register_record_batches(quoted, [batches_of(table.arrow())])
                self._registered[name] = table.version
        return self._ctx


    def parquet_files(self):
        """system.parquet_files: one row per file of every table (min_time and max_time are the
        first and last times of its data, in nanoseconds)."""
        rows = {f.name: [] for f in PARQUET_FILES_SCHEMA}
        for name in sorted(self.tables):
            for block, first, last, count in self.tables[name].files():
                rows["table_name"].append(name)
                rows["path"].append("%s/%s/%d.parquet" % (self.name, name, block))
                rows["size_bytes"].append(64 * count)
                rows["row_count"].append(count)
                rows["min_time"].append(first)
                rows["max_time"].append(last)
        return pa.table(rows, schema=PARQUET_FILES_SCHEMA)


class Store:
    """Every database of the stand-in, behind one lock (writes and table registration)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.databases = {}
        self.create("_internal", retention_ns=7 * 24 * 3600 * 10 ** 9)

    def create(self, name, retention_ns=None):
        with self.lock:
            db = Database(name, retention_ns)
            self.databases[name] = db
            return db

    def live(self, name):
        db = self.databases.get(name)
        return db if db is not None and not db.deleted else None

    def soft_delete(self, name):
        """As the server: the database stays in the catalog, marked deleted and renamed with the
        time of deletion, so that its name can be used again."""
        with self.lock:
            db = self.databases.pop(name)
            db.deleted = True
            db.name = "%s-%s" % (name, _time.strftime("%Y%m%dT%H%M%S", _time.gmtime()))
            self.databases[db.name] = db

    def write(self, dbname, body, precision, accept_partial, now_ns):
        """Writes line protocol; returns (lines, errors) with errors as the server lists them
        (error_message, line_number, original_line). Without accept_partial nothing is stored
        when a line is bad."""
        multiplier = PRECISIONS[precision]
        parsed = []
        errors = []
        for number, line in lineproto.split_lines(body):
            try:
                m, tags, fields, ts = lineproto.parse_line(line)
            except lineproto.LineError as e:
                errors.append({"error_message": str(e), "line_number": number, "original_line": line})
                continue
            if ts is None:
                ts = now_ns if multiplier is None else now_ns // multiplier * multiplier
            else:
                ts = ts * (multiplier or guess_multiplier(ts))
                if not -(2 ** 63) <= ts < 2 ** 63:
                    errors.append({"error_message": "timestamp, %d, out of range for precision: %s" % (
                        ts, precision), "line_number": number, "original_line": line})
                    continue
            parsed.append((number, line, m, tags, fields, ts))
        with self.lock:
            db = self.live(dbname) or self.create(dbname)
            # The schema a line would meet, including columns added by earlier lines of this body.
            pending = {}
            good = []
            for number, line, m, tags, fields, ts in parsed:
                table = db.tables.get(m)
                shadow = pending.setdefault(m, dict(table.kinds) if table else {TIME: TIME})
                probe = Table(m)
                probe.kinds = shadow
                message = probe.check(tags, fields)
                if message:
                    errors.append({"error_message": message, "line_number": number, "original_line": line})
                    continue
                for k, _ in tags:
                    shadow.setdefault(k, TAG)
                for k, ftype, _ in fields:
                    shadow.setdefault(k, ftype)
                good.append((m, tags, fields, ts))
            errors.sort(key=lambda e: e["line_number"])
            if errors and not accept_partial:
                return len(parsed), errors
            for m, tags, fields, ts in good:
                table = db.tables.get(m)
                if table is None:
                    table = db.tables[m] = Table(m)
                table.add(tags, fields, ts)
            if good:
                db.version += 1
        return len(parsed), errors
