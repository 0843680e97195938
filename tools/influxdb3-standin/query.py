"""Running queries for the stand-in: SQL on DataFusion, InfluxQL translated to it, the Parquet
file limit of InfluxDB 3 Core, and the response formats (json, jsonl, csv, pretty).

The json and jsonl bodies are written by DataFusion's own JSON writer (arrow_json's
LineDelimitedWriter, the writer the server uses), so times, floats and escapes come out as the
server prints them; csv by arrow_csv, as on the server; pretty is arrow's table layout.
"""

import csv
import io
import os
import re
import threading
import uuid

import pyarrow as pa
from datafusion import SessionConfig, SessionContext, SQLOptions

import influxql
import store

FILE_LIMIT_MESSAGE = (
    "External error: Query would scan {limit} Parquet files, exceeding the file limit. "
    "InfluxDB 3 Core caps file access to prevent performance degradation and memory issues. "
    "Use a narrower time range, or increase the limit with --query-file-limit (this may cause "
    "slower queries or instability).\n\nTo remove this limitation, upgrade to InfluxDB 3 "
    "Enterprise, which automatically compacts files for efficient querying across any time "
    "range. Free for non-commercial and home use, and free trials for commercial evaluation: "
    "https://www.influxdata.com/downloads")


class QueryError(Exception):
    """An error the server answers with `status` and `body` (text)."""

    def __init__(self, status, body, json_body=False):
        super().__init__(body)
        self.status = status
        self.body = body
        self.json_body = json_body


def datafusion_error(e):
    """A DataFusion exception as the server answers it: 400 for planning and SQL errors, 405
    for what DataFusion does not implement, 500 otherwise; the body is the error's text."""
    text = str(e)
    text = re.sub(r"^(?:DataFusion error: )+", "", text)
    status = 500
    if text.startswith(("Error during planning", "SQL error", "Schema error")):
        status = 400 if not text.startswith("Schema error") else 500
    elif text.startswith("This feature is not implemented"):
        status = 405
    return QueryError(status, text)


# ---------------------------------------------------------------- formats

_scratch = threading.local()


def _scratch_ctx():
    ctx = getattr(_scratch, "ctx", None)
    if ctx is None:
        ctx = _scratch.ctx = SessionContext(SessionConfig().with_target_partitions(1))
    return ctx


def _write_with(table, method, tmpdir, **kwargs):
    # A new name with the format's extension: DataFusion refuses to write over a file and takes
    # a name without an extension for a directory.
    path = os.path.join(tmpdir, uuid.uuid4().hex + (".json" if method == "write_json" else ".csv"))
    try:
        getattr(_scratch_ctx().from_arrow(table), method)(path, **kwargs)
        with open(path, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def json_lines(table, tmpdir):
    """Rows as arrow_json's LineDelimitedWriter writes them (nulls left out)."""
    if table.num_rows == 0:
        return b""
    return _write_with(table, "write_json", tmpdir)


def encode(table, fmt, tmpdir):
    """The response body for a result table, as a list of pieces (one per batch of rows) so
    that it can be streamed."""
    if fmt == "jsonl":
        return [json_lines(table, tmpdir)]
    if fmt == "json":
        lines = json_lines(table, tmpdir)
        if not lines:
            return [b"[]"]
        return [b"[" + lines.rstrip(b"\n").replace(b"\n", b",") + b"]"]
    if fmt == "csv":
        if table.num_columns == 0:
            return [b""]
        return [_write_with(table, "write_csv", tmpdir, with_header=True)]
    if fmt == "pretty":
        return [pretty(table, tmpdir)]
    raise QueryError(400, "the InfluxDB 3 stand-in does not write format %s" % fmt)


def pretty(table, tmpdir):
    """arrow's pretty_format_batches: cells as arrow displays them (as its CSV writer does)."""
    if table.num_columns == 0:
        return b"++\n++"
    text = _write_with(table, "write_csv", tmpdir, with_header=True).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = table.column_names
    body = rows[1:] if rows else []
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def fmt_row(cells):
        return "|" + "|".join(" " + c.ljust(w) + " " for c, w in zip(cells, widths)) + "|"

    out = [line, fmt_row(header), line] + [fmt_row(r) for r in body] + [line]
    return "\n".join(out).encode("utf-8")


# ---------------------------------------------------------------- the file limit

TIME_CMP_RE = re.compile(
    r"(?:\"time\"|\btime\b)\s*(>=|>|<=|<|=)\s*((?:TIMESTAMP\s*'[^']*'|'[^']*'|\((?:[^()]|\([^()]*\))*\)|[^\s()]+(?:\s*\((?:[^()]|\([^()]*\))*\))?)"
    r"(?:\s*[-+]\s*(?:INTERVAL\s*'[^']*'|'[^']*'))?)", re.I)


def sql_time_range(ctx, sql):
    """The time range [lo, hi) a SQL query's comparisons on `time` keep (as the server's file
    pruning finds it), evaluated by DataFusion; the whole range where they cannot be read."""
    lo, hi = influxql.MIN_TIME, influxql.MAX_TIME
    # An OR inside parentheses that never name `time` (a filter on tags or fields) leaves the
    # time range as it is; any other OR could widen it.
    text, before = sql, None
    while text != before:
        before = text
        text = re.sub(r"\((?:(?!\btime\b)[^()])*\)", "x", text, flags=re.I)
    if re.search(r"\bOR\b", text, re.I):
        return lo, hi
    for op, expr in TIME_CMP_RE.findall(sql):
        try:
            t = ctx.sql("SELECT arrow_cast(CAST(%s AS TIMESTAMP), 'Int64') AS v" % expr, READ_ONLY).to_pylist()[0]["v"]
        except Exception:
            continue
        if t is None:
            continue
        if op == ">=":
            lo = max(lo, t)
        elif op == ">":
            lo = max(lo, t + 1)
        elif op == "<":
            hi = min(hi, t)
        elif op == "<=":
            hi = min(hi, t + 1)
        else:
            lo, hi = max(lo, t), min(hi, t + 1)
    return lo, hi


def check_file_limit(db, tables, lo, hi, limit):
    if not limit:
        return
    for name in tables:
        table = db.tables.get(name)
        if table is not None and table.blocks_between(lo, hi) > limit:
            raise QueryError(500, FILE_LIMIT_MESSAGE.format(limit=limit))


def tables_named(db, sql):
    """The tables of `db` a SQL text names (as words or quoted names; a string literal such as
    table_name = 'cpu' names no table to scan)."""
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    words = set(re.findall(r'"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*)', sql))
    names = {a.replace('""', '"') or b for a, b in words}
    return [t for t in db.tables if t in names]


# ---------------------------------------------------------------- SQL


# The server plans SQL with DDL, DML and statements such as SET refused (iox_query's
# sql_to_logical_plan verifies the plan with DataFusion's SQLOptions): "Error during planning:
# DDL not supported: CreateMemoryTable", answered as the planning error it is.
READ_ONLY = SQLOptions().with_allow_ddl(False).with_allow_dml(False).with_allow_statements(False)


def run_sql(st, dbname, sql, params, file_limit):
    with st.lock:
        db = st.live(dbname)
        if db is None:
            raise QueryError(404, '{"error":"query error: database not found: %s"}' % dbname, json_body=True)
        ctx = db.context()
        check_file_limit(db, tables_named(db, sql), *sql_time_range(ctx, sql), file_limit)
        try:
            df = ctx.sql(sql, READ_ONLY, param_values=params) if params else ctx.sql(sql, READ_ONLY)
            return df.to_arrow_table()
        except Exception as e:
            raise datafusion_error(e) from None


# ---------------------------------------------------------------- InfluxQL


def _result_table(columns, rows):
    """A table from (name, arrow type) pairs and rows (lists)."""
    arrays = []
    for j, (_, typ) in enumerate(columns):
        arrays.append(pa.array([r[j] for r in rows], typ))
    return pa.table(arrays, names=[n for n, _ in columns])


def run_influxql(st, dbname, text, params, file_limit):
    try:
        parsed = influxql.parse(text, params=params)
    except influxql.SingleStatement:
        raise QueryError(400, "must provide only one InfluxQl statement per query")
    except influxql.ParseError as e:
        raise QueryError(400, "error in InfluxQL statement: parsing error: %s" % e)
    except influxql.Unsupported as e:
        raise QueryError(400, "error in InfluxQL statement: the InfluxDB 3 stand-in does not support %s" % e)
    if parsed[0] == "show":
        kind, details = parsed[1], parsed[2]
        if kind == "databases":
            return show_databases(st)
        if kind == "retention":
            # ON <db> is the statement's database, as for the other statements (the server's
            # InfluxQL rewrite): resolved against the `db` parameter, which alone also limits it
            return show_retention(st, _resolve_db(dbname, details["db"]))
        dbname = _resolve_db(dbname, details.get("db"))
    with st.lock:
        db = st.live(dbname) if dbname else None
        if dbname is None:
            raise QueryError(400, "must specify a 'db' parameter, or provide the database in the InfluxQL query")
        if db is None:
            raise QueryError(404, '{"error":"query error: database not found: %s"}' % dbname, json_body=True)
        if parsed[0] == "show":
            return show_schema(db, parsed[1], parsed[2])
        return select(db, parsed[1], file_limit)


def _resolve_db(param_db, query_db):
    if param_db and query_db and param_db != query_db:
        raise QueryError(400, (
            "provided a database in both the parameters (%s) and query string (%s) that do not "
            "match, if providing a query that specifies the database, you can omit the "
            "'database' parameter from your request") % (param_db, query_db))
    return param_db or query_db


def show_databases(st):
    dbs = sorted(st.databases.values(), key=lambda d: (d.deleted, d.name))
    return pa.table([pa.array([d.name for d in dbs], pa.utf8()), pa.array([d.deleted for d in dbs], pa.bool_())],
                    names=["iox::database", "deleted"])


def show_retention(st, only):
    dbs = sorted((d for d in st.databases.values() if not d.deleted and (only is None or d.name == only)),
                 key=lambda d: d.name)
    return pa.table([pa.array([d.name for d in dbs], pa.utf8()), pa.array(["autogen"] * len(dbs), pa.utf8()),
                     pa.array([influxql.go_duration(d.retention_ns or 0) for d in dbs], pa.utf8())],
                    names=["iox::database", "name", "duration"])


FIELD_TYPE_NAMES = {"float": "float", "integer": "integer", "uinteger": "unsigned",
                    "string": "string", "boolean": "boolean"}


def show_schema(db, kind, details):
    names = sorted(details.get("from") or db.tables)
    tables = [db.tables[n] for n in names if n in db.tables]
    rows = []
    if kind == "measurements":
        return pa.table([pa.array(["measurements"] * len(tables), pa.utf8()),
                         pa.array([t.name for t in tables], pa.utf8())], names=["iox::measurement", "name"])
    if kind == "tag_keys":
        for t in tables:
            rows += [(t.name, k) for k in sorted(t.kinds) if t.kinds[k] == store.TAG]
        return _result_table([("iox::measurement", pa.utf8()), ("tagKey", pa.utf8())], rows)
    if kind == "field_keys":
        for t in tables:
            rows += [(t.name, k, FIELD_TYPE_NAMES[t.kinds[k]]) for k in sorted(t.kinds)
                     if t.kinds[k] not in (store.TAG, store.TIME)]
        return _result_table([("iox::measurement", pa.utf8()), ("fieldKey", pa.utf8()),
                              ("fieldType", pa.utf8())], rows)
    mode, keys = details["keys"]
    for t in tables:
        tags = [k for k in sorted(t.kinds) if t.kinds[k] == store.TAG]
        if mode == "eq":
            tags = [k for k in tags if k in keys]
        elif mode == "ne":
            tags = [k for k in tags if k not in keys]
        else:
            tags = [k for k in tags if re.search(keys, k)]
        for k in tags:
            values = sorted({v for v in t.columns[k] if v is not None})
            rows += [(t.name, k, v) for v in values]
    return _result_table([("iox::measurement", pa.utf8()), ("key", pa.utf8()), ("value", pa.utf8())], rows)


def _selected(sel, table, gtags):
    """(output name, SQL expression) of the selected values for one table. `*` expands to the
    fields and the tags not grouped by, sorted by name (fields only under GROUP BY *), as the
    server's InfluxQL rewriter expands it."""
    items = sel.items
    if sel.star:
        names = [c for c in sorted(table.kinds) if c != store.TIME and c not in gtags
                 and not (sel.group_star and table.kinds[c] == store.TAG)]
        items = [("col", None, c, None) for c in names] + [i for i in sel.items if i[2].lower() != "time"]
    items = [i for i in items if not (i[0] == "col" and i[2].lower() == "time" and not i[3])]
    names = influxql.output_names(items)
    out = []
    for (kind, func, col, _), name in zip(items, names):
        present = col in table.kinds
        if kind == "col":
            expr = influxql.quote_ident(col) if present else "NULL"
            if table.kinds.get(col) == store.TAG:
                expr = "CAST(%s AS VARCHAR)" % expr
            out.append((name, expr, col if table.kinds.get(col) not in (None, store.TAG) else None))
        else:
            if not present or table.kinds[col] == store.TAG:
                out.append((name, "NULL", None))
                continue
            out.append((name, influxql.AGG_SQL[func].format(c=influxql.quote_ident(col)), col))
    return out, items


def select(db, sel, file_limit):
    now_hi = sel.hi
    ctx = db.context()
    results = []  # (measurement, columns [(name, type)], rows)
    for m in sorted(set(sel.measurements), key=sel.measurements.index):
        table = db.tables.get(m)
        if table is None:
            continue
        check_file_limit(db, [m], sel.lo, sel.hi, file_limit)
        if sel.group_star:
            gtags = [k for k in sorted(table.kinds) if table.kinds[k] == store.TAG]
        else:
            gtags = list(sel.group_tags)
        selected, items = _selected(sel, table, gtags)
        if not selected:
            continue
        conds = influxql.time_sql(sel.lo, sel.hi)
        if sel.where:
            extra = influxql.where_sql(sel.where.tree, table.kinds)
            if extra:
                conds.append(extra)
        fields = [influxql.quote_ident(c) for _, _, c in selected if c]
        if not sel.aggregate:
            if not fields:
                continue
            conds.append("(" + " OR ".join("%s IS NOT NULL" % f for f in fields) + ")")
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        # A series without a grouped tag has it null (left out of JSON lines), sorted first.
        gexprs = ["CAST(%s AS VARCHAR)" % influxql.quote_ident(g) if g in table.kinds else "CAST(NULL AS VARCHAR)"
                  for g in gtags]
        gcols = ", ".join("%s AS %s" % (e, influxql.quote_ident("g%d" % i)) for i, e in enumerate(gexprs))
        vcols = ", ".join("%s AS %s" % (e, influxql.quote_ident("v%d" % i)) for i, (_, e, _) in enumerate(selected))
        gref = ", ".join(influxql.quote_ident("g%d" % i) for i in range(len(gtags)))
        if not sel.aggregate:
            tcol = "arrow_cast(time, 'Int64') AS t"
            order = (gref + ", " if gref else "") + "t"
            sql = "SELECT %s%s, %s FROM %s%s ORDER BY %s" % (
                tcol, (", " + gcols) if gcols else "", vcols, influxql.quote_ident(m), where, order)
        elif sel.interval:
            # The window start, in integers (floor division, also before 1970).
            tcol = "(arrow_cast(time, 'Int64') - ((arrow_cast(time, 'Int64') - %d) %% %d + %d) %% %d) AS t" % (
                sel.offset, sel.interval, sel.interval, sel.interval)
            sql = "SELECT %s%s, %s FROM %s%s GROUP BY %s ORDER BY %s" % (
                tcol, (", " + gcols) if gcols else "", vcols, influxql.quote_ident(m), where,
                ", ".join(filter(None, [gref, "t"])), ", ".join(filter(None, [gref, "t"])))
        else:
            single_selector = len(selected) == 1 and items[0][0] == "agg" and items[0][1] in influxql.SELECTORS
            if single_selector:
                func, col = items[0][1], influxql.quote_ident(items[0][2])
                order = {"first": "time ASC", "last": "time DESC", "min": "%s ASC NULLS LAST, time ASC" % col,
                         "max": "%s DESC NULLS LAST, time ASC" % col}[func]
                tcol = "arrow_cast(first_value(time ORDER BY %s), 'Int64') AS t" % order
            else:
                tcol = "%d AS t" % (sel.lo if sel.lo > influxql.MIN_TIME else 0)
            sql = "SELECT %s%s, %s FROM %s%s%s HAVING count(*) > 0%s" % (
                tcol, (", " + gcols) if gcols else "", vcols, influxql.quote_ident(m), where,
                (" GROUP BY " + gref) if gref else "", (" ORDER BY " + gref) if gref else "")
        try:
            res = ctx.sql(sql).to_arrow_table()
        except Exception as e:
            raise datafusion_error(e) from None
        types = [res.schema.field("v%d" % i).type for i in range(len(selected))]
        rows = [list(r.values()) for r in res.to_pylist()]
        series = {}
        for r in rows:
            series.setdefault(tuple(r[1:1 + len(gtags)]), []).append(r)
        if sel.interval and sel.fill != "none":
            hi = sel.hi if sel.hi < influxql.MAX_TIME else _now_ns()
            counts = [i[0] == "agg" and i[1] == "count" for i in items]
            ints = [pa.types.is_integer(t) for t in types]
            series = {k: _gap_fill(v, sel, len(gtags), hi, counts, ints) for k, v in series.items()}
        out_rows = []
        for key in sorted(series, key=lambda k: tuple((v is not None, v or "") for v in k)):
            srows = series[key]
            if sel.desc:
                srows = srows[::-1]
            if sel.offset_rows:
                srows = srows[sel.offset_rows:]
            if sel.limit is not None:
                srows = srows[:sel.limit]
            out_rows += srows
        columns = [("t", pa.int64())] + [(g, pa.utf8()) for g in gtags] + \
                  [(name, typ) for (name, _, _), typ in zip(selected, types)]
        results.append((m, columns, out_rows))
    return _combine(results)


def _now_ns():
    import time
    return time.time_ns()


def _gap_fill(rows, sel, ngroup, hi, counts, ints):
    """Every window of a series from the start of the WHERE range (or the series' first window
    when there is no lower bound) to its end, filled as the server's GapFill does: fill(null)
    leaves nulls but gives count() 0, fill(N) gives N in the column's type, fill(previous)
    carries the last value forward, fill(linear) interpolates between known values."""
    iv, off = sel.interval, sel.offset
    lo = sel.lo if sel.lo > influxql.MIN_TIME else rows[0][0]
    start = (lo - off) // iv * iv + off
    have = {r[0]: r for r in rows}
    key = rows[0][1:1 + ngroup]
    nvals = len(rows[0]) - 1 - ngroup
    fill = sel.fill
    if isinstance(fill, bool) or not isinstance(fill, (int, float)):
        empty = [0 if fill == "null" and counts[j] else None for j in range(nvals)]
    else:
        empty = [int(fill) if ints[j] else fill for j in range(nvals)]
    out = []
    t = start
    while t < hi:
        r = have.get(t)
        out.append(list(r) if r is not None else [t] + list(key) + list(empty))
        t += iv
    if fill == "previous":
        last = [None] * nvals
        for r in out:
            for j in range(nvals):
                c = 1 + ngroup + j
                if r[c] is None:
                    r[c] = last[j]
                else:
                    last[j] = r[c]
    elif fill == "linear":
        for j in range(nvals):
            c = 1 + ngroup + j
            known = [i for i, r in enumerate(out) if r[c] is not None]
            for a, b in zip(known, known[1:]):
                for i in range(a + 1, b):
                    va, vb = out[a][c], out[b][c]
                    value = va + (vb - va) * (i - a) / (b - a)
                    out[i][c] = int(value) if ints[j] else value
    return out


def _combine(results):
    """One table for every measurement: iox::measurement, time, then the union of columns."""
    names = []
    types = {}
    for _, columns, _ in results:
        for name, typ in columns[1:]:
            if name not in types:
                names.append(name)
                types[name] = typ
    out_cols = [("iox::measurement", pa.utf8()), ("time", pa.timestamp("ns"))] + [(n, types[n]) for n in names]
    rows = []
    for m, columns, srows in sorted(results, key=lambda r: r[0]):
        index = {name: j for j, (name, _) in enumerate(columns)}
        for r in srows:
            rows.append([m, r[0]] + [r[index[n]] if n in index else None for n in names])
    arrays = []
    for j, (name, typ) in enumerate(out_cols):
        values = [r[j] for r in rows]
        try:
            arrays.append(pa.array(values, typ))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays.append(pa.array([None if v is None else float(v) for v in values], pa.float64()))
    return pa.table(arrays, names=[n for n, _ in out_cols])
