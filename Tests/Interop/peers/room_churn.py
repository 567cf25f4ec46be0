#!/usr/bin/env python3
"""Join and leave `sfu serve` many times; sample the server's memory and descriptors.

A warm-up of --warmup cycles, then --count cycles, run by --workers concurrent clients over a
few rooms. A cycle is: WebSocket open, `join` (token signed like `sfu token` does, with the
development key; every tenth from /dev/token), `leave`, `bye`, close. Every --publish-every-th
cycle is an aiortc participant instead that publishes an Opus tone, waits for the server's
`connection-state` `connected` of its publisher connection, and leaves.

After the warm-up and after the run (once /healthz reports no sessions and a second passed), the
server's VmRSS (/proc/PID/status) and open descriptors (/proc/PID/fd) are sampled. With --extra,
a further batch of plain cycles follows, by more workers over more rooms (rooms empty and close
while others join them), sampled the same way: the memory trend, and joins racing a room's close.
Prints `RESULT {json}`.
"""
import argparse
import asyncio
import logging
import os
import sys
import time

from room_client import (AiortcParticipant, RoomClient, ToneTrack, craft_token, dev_token, emit_result,
                         http_json)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def live_count(h):
    """Participants (or sessions) the server reports as live in /healthz."""
    for k in ("participants", "sessions"):
        if isinstance(h.get(k), int):
            return h[k]
    return None


class Churn:
    def __init__(self, args):
        self.args = args
        self.done = 0
        self.failures = []
        self.failure_count = 0
        self.published = 0
        self.publish_connected = 0
        self.kinds = {"plain": 0, "dev-token": 0, "aiortc": 0}
        self.cycle_ms = []

    def fail(self, i, what):
        self.failure_count += 1
        if len(self.failures) < 10:
            self.failures.append(f"cycle {i}: {what}")

    async def token(self, i, room, ident):
        if i % 10 == 3:
            self.kinds["dev-token"] += 1
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, dev_token, self.args.http, room, ident, ident)
        return craft_token(room, ident, name=ident)

    async def plain(self, i, room, ident):
        c = RoomClient(self.args.ws, f"c{i}")
        try:
            await c.open()
            r = await c.join(await self.token(i, room, ident), timeout=5)
            if not r or r.get("type") != "joined":
                self.fail(i, f"join: {r!r} {c.summary()['types']}")
                return
            b = await c.leave(timeout=5)
            if not b or b.get("type") != "bye":
                self.fail(i, f"leave: {b!r}")
            elif not c.closed.is_set():
                self.fail(i, "connection not closed after bye")
        finally:
            await c.close()

    async def aiortc(self, i, room, ident):
        p = AiortcParticipant(self.args.ws, craft_token(room, ident, name=ident), f"a{i}")
        try:
            r = await p.join()
            if not r or r.get("type") != "joined":
                self.fail(i, f"aiortc join: {r!r}")
                return
            r = await p.publish([ToneTrack(440)])
            if not r or r.get("type") != "published":
                self.fail(i, f"aiortc publish: {r!r}")
                return
            self.published += 1
            m = await p.client.wait(lambda m: m.get("type") == "connection-state" and m.get("target") == "publisher"
                                    and m.get("state") == "connected", 8)
            if m:
                self.publish_connected += 1
            await asyncio.sleep(0.3)  # some media through the forwarding path
            b = await p.client.leave(timeout=5)
            if not b or b.get("type") != "bye":
                self.fail(i, f"aiortc leave: {b!r}")
        finally:
            await p.close()

    async def cycle(self, i):
        room = f"churn-{i % self.args.rooms}"
        ident = f"u{i}"
        t = time.monotonic()
        try:
            if self.args.publish_every and i % self.args.publish_every == 0:
                self.kinds["aiortc"] += 1
                await asyncio.wait_for(self.aiortc(i, room, ident), 30)
            else:
                self.kinds["plain"] += 1
                await asyncio.wait_for(self.plain(i, room, ident), 15)
        except Exception as e:
            self.fail(i, repr(e))
        self.cycle_ms.append((time.monotonic() - t) * 1000)
        self.done += 1

    async def run(self, start, count):
        queue = list(range(start, start + count))

        async def worker():
            while queue:
                await self.cycle(queue.pop(0))
        await asyncio.gather(*(worker() for _ in range(self.args.workers)))


async def settle_and_sample(args, label, timeout=20.0, quiet=1.0):
    """Wait for /healthz to report no live participants, then `quiet` seconds; sample RSS and fds."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + timeout
    health = None
    while time.monotonic() < deadline:
        try:
            health = await loop.run_in_executor(None, http_json, f"{args.http}/healthz")
        except Exception as e:
            health = {"error": repr(e)}
        if live_count(health) == 0:
            break
        await asyncio.sleep(0.2)
    waited = round(timeout - (deadline - time.monotonic()), 2)
    await asyncio.sleep(quiet)
    samples = []
    for _ in range(3):
        samples.append((rss_kb(args.server_pid), fd_count(args.server_pid)))
        await asyncio.sleep(0.3)
    return {"label": label, "healthz": health, "live": live_count(health or {}), "settleSeconds": waited,
            "rssKb": min(s[0] for s in samples), "fds": min(s[1] for s in samples), "samples": samples}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--rooms", type=int, default=5)
    ap.add_argument("--publish-every", type=int, default=25)
    ap.add_argument("--extra", type=int, default=0,
                    help="then this many plain cycles by --extra-workers over --extra-rooms (trend, races)")
    ap.add_argument("--extra-workers", type=int, default=8)
    # Memory held for closed connections until their WebSocket auto-ping timer's deadline (30 s:
    # the Swift runtime keeps a cancelled Task.sleep until then) is not a leak: the trend samples
    # wait that out, so they compare settled states.
    ap.add_argument("--quiet-seconds", type=float, default=32.0,
                    help="before the trend samples: longer than the server's 30 s WebSocket auto-ping period")
    ap.add_argument("--extra-rooms", type=int, default=8)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    churn = Churn(args)
    try:
        result["before"] = await settle_and_sample(args, "before")
        await churn.run(0, args.warmup)
        result["warmupSeconds"] = round(time.monotonic() - t0, 2)
        result["afterWarmup"] = await settle_and_sample(args, "after-warmup")
        result["phase"] = "warmed-up"
        t1 = time.monotonic()
        await churn.run(args.warmup, args.count)
        result["runSeconds"] = round(time.monotonic() - t1, 2)
        result["afterRun"] = await settle_and_sample(args, "after-run")
        result["phase"] = "run-done"
        if args.extra:
            extra_args = argparse.Namespace(**{**vars(args), "workers": args.extra_workers,
                                               "rooms": args.extra_rooms, "publish_every": 0})
            # Two equal batches: the first lets allocator arenas and caches reach their working
            # size under 8 concurrent clients; the trend is read across the second.
            first = Churn(extra_args)
            await first.run(args.warmup + args.count, args.extra)
            result["afterExtraFirst"] = await settle_and_sample(args, "after-extra-first", quiet=args.quiet_seconds)
            extra = Churn(extra_args)
            t2 = time.monotonic()
            await extra.run(args.warmup + args.count + args.extra, args.extra)
            failures = first.failures + extra.failures
            result["extra"] = {"cycles": first.done + extra.done, "failureCount": first.failure_count + extra.failure_count,
                               "failures": failures, "seconds": round(time.monotonic() - t2, 2),
                               "workers": args.extra_workers, "rooms": args.extra_rooms}
            result["afterExtra"] = await settle_and_sample(args, "after-extra", quiet=args.quiet_seconds)
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        ms = sorted(churn.cycle_ms)
        result.update({
            "cycles": churn.done, "failureCount": churn.failure_count, "failures": churn.failures,
            "kinds": churn.kinds, "published": churn.published, "publishConnected": churn.publish_connected,
            "cycleMs": {"p50": round(ms[len(ms) // 2], 1), "p95": round(ms[int(len(ms) * 0.95)], 1),
                        "max": round(ms[-1], 1)} if ms else None,
            "elapsed": round(time.monotonic() - t0, 2),
        })
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
