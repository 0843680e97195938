#!/usr/bin/env python3
"""A TCP proxy on the loopback interface that delivers every byte DELAY milliseconds after it
arrived, in each direction: a network with that one-way latency (a round trip of twice it), for
benchmarks on a kernel without the netem qdisc. Bytes keep their order and are not throttled:
what arrives while earlier bytes wait is delivered DELAY ms after its own arrival.

    latency-proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS [PORT_FILE]

LISTEN_PORT 0 picks a free port; the port is written to PORT_FILE (when given) once listening.
Stops on SIGTERM or SIGINT. Standard library only.
"""
import asyncio
import signal
import sys
import time


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk `delay` seconds after it was read."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, data if data else None))
            if not data:
                break
        await sender
    except (ConnectionError, asyncio.CancelledError):
        sender.cancel()
        writer.close()


async def main():
    listen_port, host, port, delay_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    delay = delay_ms / 1000.0

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, delay),
                             pump(server_reader, client_writer, delay), return_exceptions=True)
        for w in (client_writer, server_writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    if len(sys.argv) > 5:
        with open(sys.argv[5] + ".tmp", "w") as f:
            f.write(str(server.sockets[0].getsockname()[1]))
        import os
        os.replace(sys.argv[5] + ".tmp", sys.argv[5])
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
