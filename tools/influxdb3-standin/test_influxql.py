"""The stand-in's queries in process: InfluxQL translated to SQL, the file limit, the formats."""

import json
import shutil
import tempfile
import unittest

import influxql
import query
import store

S = 10 ** 9
T0 = 1699999980 * S  # 2023-11-14T22:13:00Z, a whole minute


def lines(*rows):
    return "\n".join(rows)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.st = store.Store()
        body = lines(
            "cpu,host=a,region=eu usage=1.0,n=1i %d" % T0,
            "cpu,host=b,region=eu usage=2.0,n=2i %d" % T0,
            "cpu,host=a,region=eu usage=3.0,n=3i %d" % (T0 + 60 * S),
            "cpu,host=b usage=5.0 %d" % (T0 + 180 * S),
            "mem,host=a free=10u %d" % (T0 + 30 * S),
        )
        _, errors = self.st.write("db", body, "ns", True, T0)
        self.assertEqual(errors, [])

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def jsonl(self, q, limit=432, db="db"):
        table = query.run_influxql(self.st, db, q, None, limit)
        body = b"".join(query.encode(table, "jsonl", self.tmp)).decode()
        return [json.loads(x) for x in body.splitlines()]

    def rfc(self, offset_s):
        import datetime
        t = datetime.datetime.fromtimestamp(T0 // S + offset_s, datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S")


class Select(Base):
    def test_raw_select_orders_by_time_and_leaves_nulls_out(self):
        rows = self.jsonl("SELECT usage, region FROM cpu")
        self.assertEqual([r["time"] for r in rows], [self.rfc(0), self.rfc(0), self.rfc(60), self.rfc(180)])
        self.assertEqual(rows[0], {"iox::measurement": "cpu", "time": self.rfc(0), "usage": 1.0, "region": "eu"})
        self.assertNotIn("region", rows[3])

    def test_star_puts_time_first_then_columns_by_name(self):
        rows = self.jsonl("SELECT * FROM cpu WHERE host = 'a'")
        self.assertEqual(list(rows[0]), ["iox::measurement", "time", "host", "n", "region", "usage"])
        self.assertEqual(len(rows), 2)

    def test_star_leaves_out_the_tags_grouped_by(self):
        rows = self.jsonl("SELECT * FROM cpu WHERE host = 'a' GROUP BY host")
        self.assertEqual(list(rows[0]), ["iox::measurement", "time", "host", "n", "region", "usage"])
        rows = self.jsonl("SELECT * FROM cpu GROUP BY *")
        self.assertEqual(list(rows[0]), ["iox::measurement", "time", "host", "region", "n", "usage"])
        self.assertEqual([r["host"] for r in rows], ["a", "a", "b", "b"])

    def test_where_time_and_tags(self):
        q = "SELECT usage FROM cpu WHERE time >= '%sZ' AND time < %d AND host != 'a'" % (self.rfc(0), T0 + 200 * S)
        self.assertEqual([r["usage"] for r in self.jsonl(q)], [2.0, 5.0])
        self.assertEqual([r["usage"] for r in self.jsonl("SELECT usage FROM cpu WHERE host =~ /^a/")], [1.0, 3.0])
        # A tag a point lacks compares as the empty string.
        self.assertEqual([r["usage"] for r in self.jsonl("SELECT usage FROM cpu WHERE region = ''")], [5.0])

    def test_group_by_time_fills(self):
        base = "SELECT mean(usage) FROM cpu WHERE time >= %d AND time < %d GROUP BY time(1m)" % (T0, T0 + 240 * S)
        self.assertEqual([r.get("mean") for r in self.jsonl(base)], [1.5, 3.0, None, 5.0])
        self.assertEqual([r.get("mean") for r in self.jsonl(base + " fill(none)")], [1.5, 3.0, 5.0])
        self.assertEqual([r.get("mean") for r in self.jsonl(base + " fill(0)")], [1.5, 3.0, 0, 5.0])
        self.assertEqual([r.get("mean") for r in self.jsonl(base + " fill(previous)")], [1.5, 3.0, 3.0, 5.0])
        self.assertEqual([r.get("mean") for r in self.jsonl(base + " fill(linear)")], [1.5, 3.0, 4.0, 5.0])

    def test_gap_fill_of_count_and_without_a_lower_bound(self):
        base = "SELECT count(usage) FROM cpu WHERE time >= %d AND time < %d GROUP BY time(1m)" % (T0, T0 + 240 * S)
        self.assertEqual([r["count"] for r in self.jsonl(base)], [2, 1, 0, 1])
        self.assertEqual([r["count"] for r in self.jsonl(base + " fill(3.7)")], [2, 1, 3, 1])
        q = "SELECT mean(usage) FROM cpu WHERE time < %d GROUP BY time(1m)" % (T0 + 240 * S)
        self.assertEqual([r["time"] for r in self.jsonl(q)], [self.rfc(s) for s in (0, 60, 120, 180)])

    def test_first_and_last_skip_nulls(self):
        self.st.write("db", "cpu,host=a,region=eu n=9i %d" % (T0 - 60 * S), "ns", True, T0)
        self.assertEqual(self.jsonl("SELECT first(usage) FROM cpu WHERE host = 'a'")[0]["first"], 1.0)

    def test_group_by_tag_and_aggregates(self):
        q = "SELECT count(usage), max(usage) AS top, spread(usage) FROM cpu GROUP BY host"
        rows = self.jsonl(q)
        self.assertEqual([(r["host"], r["count"], r["top"], r["spread"]) for r in rows],
                         [("a", 2, 3.0, 2.0), ("b", 2, 5.0, 3.0)])
        self.assertEqual(rows[0]["time"], "1970-01-01T00:00:00")

    def test_selector_alone_keeps_the_points_time(self):
        self.assertEqual(self.jsonl("SELECT max(usage) FROM cpu")[0]["time"], self.rfc(180))

    def test_bind_parameters(self):
        table = query.run_influxql(self.st, "db", "SELECT usage FROM cpu WHERE host = $h AND usage > $min",
                                   {"h": "a", "min": 1.5}, 432)
        self.assertEqual(table.column("usage").to_pylist(), [3.0])
        with self.assertRaises(query.QueryError):
            query.run_influxql(self.st, "db", "SELECT usage FROM cpu WHERE host = $h", None, 432)

    def test_order_desc_limit_offset(self):
        rows = self.jsonl("SELECT usage FROM cpu ORDER BY time DESC LIMIT 2 OFFSET 1")
        self.assertEqual([r["time"] for r in rows], [self.rfc(60), self.rfc(0)])

    def test_several_measurements(self):
        rows = self.jsonl("SELECT * FROM cpu, mem WHERE host = 'a'")
        self.assertEqual([r["iox::measurement"] for r in rows], ["cpu", "cpu", "mem"])
        self.assertEqual(rows[2]["free"], 10)

    def test_unsupported_is_a_400_that_says_so(self):
        for q in ("SELECT usage FROM cpu GROUP BY time(1m) tz('Europe/Zurich')", "DELETE FROM cpu",
                  "SELECT derivative(usage) FROM cpu", "SELECT usage FROM /c.*/"):
            with self.assertRaises(query.QueryError, msg=q) as e:
                self.jsonl(q)
            self.assertEqual(e.exception.status, 400)
            self.assertIn("stand-in does not support", e.exception.body)


    def test_table_names_are_kept_as_written(self):
        # a leading space, upper case and a dot are part of the name, not SQL
        for name in (" lead", "CPU", "a.b", 'q"x'):
            esc = name.replace(" ", "\\ ").replace(",", "\\,")
            _, errors = self.st.write("db", "%s v=1 %d" % (esc, T0), "ns", True, T0)
            self.assertEqual(errors, [])
            sql = 'SELECT v FROM "%s"' % name.replace('"', '""')
            table = query.run_sql(self.st, "db", sql, None, 432)
            self.assertEqual(table.num_rows, 1, name)
            self.st.write("db", "%s v=2 %d" % (esc, T0 + S), "ns", True, T0)
            self.assertEqual(query.run_sql(self.st, "db", sql, None, 432).num_rows, 2, name)


class Show(Base):
    def test_show_statements(self):
        self.assertEqual(self.jsonl("SHOW TAG VALUES FROM cpu WITH KEY = \"host\""),
                         [{"iox::measurement": "cpu", "key": "host", "value": v} for v in ("a", "b")])
        self.assertEqual([r["key"] for r in self.jsonl("SHOW TAG VALUES WITH KEY IN (\"host\", \"region\")")],
                         ["host", "host", "region", "host"])
        self.assertEqual(self.jsonl("SHOW FIELD KEYS FROM mem"),
                         [{"iox::measurement": "mem", "fieldKey": "free", "fieldType": "unsigned"}])
        self.assertEqual([r["name"] for r in self.jsonl("SHOW MEASUREMENTS")], ["cpu", "mem"])

    def test_retention_in_go_duration_format(self):
        self.st.create("r30", retention_ns=30 * 86400 * S)
        rows = self.jsonl("SHOW RETENTION POLICIES", db=None)
        self.assertIn({"iox::database": "r30", "name": "autogen", "duration": "720h0m0s"}, rows)
        self.assertIn({"iox::database": "db", "name": "autogen", "duration": "0s"}, rows)
        self.assertEqual(influxql.go_duration(90 * S), "1m30s")

    def test_retention_of_the_db_parameter_or_on_only(self):
        # as the server's tests show: with db set, or ON, one database's policy
        self.st.create("r30", retention_ns=30 * 86400 * S)
        want = [{"iox::database": "r30", "name": "autogen", "duration": "720h0m0s"}]
        self.assertEqual(self.jsonl("SHOW RETENTION POLICIES", db="r30"), want)
        self.assertEqual(self.jsonl("SHOW RETENTION POLICIES ON r30", db=None), want)
        self.assertEqual(self.jsonl("SHOW RETENTION POLICIES ON r30", db="r30"), want)
        with self.assertRaises(query.QueryError) as e:
            self.jsonl("SHOW RETENTION POLICIES ON r30", db="db")
        self.assertIn("do not match", e.exception.body)

    def test_sql_refuses_ddl_dml_and_set(self):
        # the server verifies every SQL plan read-only (DataFusion's SQLOptions)
        for sql, what in (("CREATE TABLE t2 AS SELECT 1", "DDL not supported: CreateMemoryTable"),
                          ("DROP TABLE cpu", "DDL not supported: DropTable"),
                          ("CREATE VIEW v AS SELECT 1", "DDL not supported: CreateView"),
                          ("INSERT INTO cpu (time, usage) VALUES (0, 1.0)", "DML not supported: Insert Into"),
                          ("SET datafusion.execution.batch_size = 1", "Statement not supported: SetVariable")):
            with self.assertRaises(query.QueryError, msg=sql) as e:
                query.run_sql(self.st, "db", sql, None, 432)
            self.assertEqual((e.exception.status, e.exception.body), (400, "Error during planning: " + what))
        self.assertEqual(query.run_sql(self.st, "db", "SELECT count(*) AS n FROM cpu", None, 432).to_pylist(), [{"n": 4}])


class Limits(Base):
    def test_file_limit_counts_ten_minute_blocks(self):
        self.st.write("db", "cpu usage=1 %d" % (T0 + 3600 * S), "ns", True, T0)  # a second block
        with self.assertRaises(query.QueryError) as e:
            self.jsonl("SELECT usage FROM cpu", limit=1)
        self.assertEqual(e.exception.status, 500)
        self.assertTrue(e.exception.body.startswith("External error: Query would scan 1 Parquet files, exceeding the file limit."))
        self.assertEqual(len(self.jsonl("SELECT usage FROM cpu WHERE time < %d" % (T0 + 600 * S), limit=1)), 4)
        sql = "SELECT usage FROM cpu WHERE time >= to_timestamp_nanos(%d)" % (T0 + 3000 * S)
        self.assertEqual(query.run_sql(self.st, "db", sql, None, 1).num_rows, 1)
        with self.assertRaises(query.QueryError):
            query.run_sql(self.st, "db", "SELECT usage FROM cpu", None, 1)

    def test_system_parquet_files_lists_each_tables_files(self):
        # as the server's system table: the persisted files, with their first and last times
        sql = ("SELECT table_name, row_count, min_time, max_time FROM system.parquet_files "
               "WHERE table_name = 'cpu' ORDER BY min_time")
        self.assertEqual(query.run_sql(self.st, "db", sql, None, 1).to_pylist(),
                         [{"table_name": "cpu", "row_count": 4, "min_time": T0, "max_time": T0 + 180 * S}])
        self.st.write("db", "cpu usage=1 %d" % (T0 + 3600 * S), "ns", True, T0)
        rows = query.run_sql(self.st, "db", sql, None, 1).to_pylist()  # reading it is no file of a table
        self.assertEqual([(r["row_count"], r["min_time"]) for r in rows], [(4, T0), (1, T0 + 3600 * S)])
        names = query.run_sql(self.st, "db", "SELECT DISTINCT table_name FROM system.parquet_files ORDER BY 1", None, 1)
        self.assertEqual(names.column(0).to_pylist(), ["cpu", "mem"])
        tables = query.run_sql(self.st, "db", "SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = 'iox' ORDER BY 1", None, 1)
        self.assertEqual(tables.column(0).to_pylist(), ["cpu", "mem"])


class Writes(Base):
    def test_types_are_fixed_by_the_first_write_and_lines_overwrite(self):
        n, errors = self.st.write("db", "cpu,host=a,region=eu usage=1i %d\ncpu,region=eu,host=a usage=9.5 %d" % (T0, T0), "ns", True, T0)
        self.assertEqual(errors[0]["line_number"], 1)
        self.assertIn("expected iox::column_type::field::float, got iox::column_type::field::integer", errors[0]["error_message"])
        rows = self.jsonl("SELECT usage, n FROM cpu WHERE host = 'a'")
        self.assertEqual((rows[0]["usage"], rows[0]["n"]), (9.5, 1))

    def test_without_accept_partial_nothing_is_written(self):
        _, errors = self.st.write("db", "new v=1 1\nnew v= 2", "ns", False, T0)
        self.assertEqual(len(errors), 1)
        self.assertNotIn("new", self.st.databases["db"].tables)

    def test_auto_precision_guesses_the_unit(self):
        self.st.write("p", "m v=1 1699999980\nm v=2 1699999980001\nm v=3 1699999980000002", "auto", True, T0)
        times = self.st.databases["p"].tables["m"].columns["time"]
        self.assertEqual(times, [T0, T0 + 10 ** 6, T0 + 2000])

    def test_sql_params_and_json_format(self):
        t = query.run_sql(self.st, "db", "SELECT host, usage FROM cpu WHERE usage > $min ORDER BY usage", {"min": 2.5}, 432)
        self.assertEqual(b"".join(query.encode(t, "json", self.tmp)),
                         b'[{"host":"a","usage":3.0},{"host":"b","usage":5.0}]')
        empty = query.run_sql(self.st, "db", "SELECT usage FROM cpu WHERE usage > 100", None, 432)
        self.assertEqual(b"".join(query.encode(empty, "json", self.tmp)), b"[]")
        self.assertEqual(b"".join(query.encode(empty, "jsonl", self.tmp)), b"")


if __name__ == "__main__":
    unittest.main()
