"""The Python peers' side of bench/peers-python.R: one workload, timed inside this process.

Usage: python peers.py WORKLOAD REPS, with the server and the question in the environment
(PEERS_*), so tokens and passwords stay off the command line. Prints four lines, name TAB value:
library, pandas (their versions), seconds (one per run, space-separated), rows (of the last run). Only the call that
returns (or writes) a data frame is timed: interpreter start, imports and reading the frame to
write are not, as they are not for influx_query() in R either.
"""
import gc
import os
import sys
import time
from importlib.metadata import version


def timed(reps, call):
    seconds, result = [], None
    for _ in range(reps):
        gc.collect()
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def v1_query(reps):
    # influxdb 5.3.2: DataFrameClient asks for MessagePack; chunked responses fail to decode
    # in it (msgpack ExtraData), so it runs unchunked, its default. Credentials go as UTF-8 bytes:
    # given as str, requests encodes basic-auth credentials in Latin-1 and a non-ASCII password fails (401).
    from influxdb import DataFrameClient
    client = DataFrameClient(host=os.environ["PEERS_HOST"], port=int(os.environ["PEERS_PORT"]),
                             username=os.environ["PEERS_USER"].encode("utf-8"),
                             password=os.environ["PEERS_PASSWORD"].encode("utf-8"),
                             database=os.environ["PEERS_DATABASE"])
    seconds, frames = timed(reps, lambda: client.query(os.environ["PEERS_QUERY"]))
    return "influxdb " + version("influxdb"), seconds, sum(len(f) for f in frames.values())


def v2_client():
    from influxdb_client import InfluxDBClient
    return InfluxDBClient(url=os.environ["PEERS_URL"], token=os.environ["PEERS_TOKEN"],
                          org=os.environ["PEERS_ORG"], timeout=600_000)


def v2_query(reps):
    # The long form (no pivot) is the question asked, the same as influx_query's answer: the
    # client's advice to pivot does not apply.
    import warnings
    from influxdb_client.client.warnings import MissingPivotFunction
    warnings.simplefilter("ignore", MissingPivotFunction)
    client = v2_client()
    api = client.query_api()
    seconds, frame = timed(reps, lambda: api.query_data_frame(os.environ["PEERS_QUERY"]))
    # One frame, or a list of frames when the tables' columns differ.
    rows = sum(len(f) for f in frame) if isinstance(frame, list) else len(frame)
    return "influxdb-client " + version("influxdb-client"), seconds, rows


def v2_write(reps):
    import pandas as pd
    from influxdb_client.client.write_api import SYNCHRONOUS
    frame = pd.read_csv(os.environ["PEERS_CSV"])
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    frame = frame.set_index("time")
    api = v2_client().write_api(write_options=SYNCHRONOUS)

    def write():
        api.write(bucket=os.environ["PEERS_BUCKET"], record=frame,
                  data_frame_measurement_name=os.environ["PEERS_MEASUREMENT"],
                  data_frame_tag_columns=["building", "room"])
    seconds, _ = timed(reps, write)
    return "influxdb-client " + version("influxdb-client"), seconds, len(frame)


WORKLOADS = {"v1-query": v1_query, "v2-query": v2_query, "v2-write": v2_write}

if __name__ == "__main__":
    library, seconds, rows = WORKLOADS[sys.argv[1]](int(sys.argv[2]))
    print(f"library\t{library}\npandas\t{version('pandas')}\n"
          f"seconds\t{' '.join(f'{s:.4f}' for s in seconds)}\nrows\t{rows}")
