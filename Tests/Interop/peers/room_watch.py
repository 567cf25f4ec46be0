#!/usr/bin/env python3
"""Joins `sfu serve` (an aiortc participant publishing a tone, and a plain client) and waits for
the server to end the sessions (used by test_room_shutdown.py, which sends SIGTERM). Prints
`JOINED` once both are in and media flows, then `RESULT {json}` when both connections closed or
--wait seconds passed."""
import argparse
import asyncio
import logging
import sys
import time

from room_client import AiortcParticipant, RoomClient, ToneTrack, cli_token, emit_result


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--wait", type=float, default=20.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": []}
    pub = AiortcParticipant(args.ws, cli_token("bye", "pub"), "pub")
    plain = RoomClient(args.ws, "plain")
    try:
        r = await pub.join()
        if (r or {}).get("type") != "joined":
            raise RuntimeError(f"pub join: {r!r}")
        await plain.open()
        r = await plain.join(cli_token("bye", "plain"))
        if (r or {}).get("type") != "joined":
            raise RuntimeError(f"plain join: {r!r}")
        r = await pub.publish([ToneTrack(440)])
        if (r or {}).get("type") != "published":
            raise RuntimeError(f"publish: {r!r}")
        m = await pub.client.wait(lambda m: m.get("type") == "connection-state" and m.get("state") == "connected", 10)
        result["publisherConnected"] = m is not None
        result["phase"] = "joined"
        print("JOINED", flush=True)
        t0 = time.monotonic()
        await asyncio.wait_for(asyncio.gather(pub.client.closed.wait(), plain.closed.wait()), args.wait)
        result["closedAfter"] = round(time.monotonic() - t0, 2)
        result["phase"] = "closed"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        for label, c in (("pub", pub.client), ("plain", plain)):
            result[label] = {"bye": [m.get("reason") for m in c.of_type("bye")], "errors": c.errors(),
                             "left": [m.get("reason") for m in c.of_type("participant-left")],
                             "closeCode": c.close_code, "closed": c.closed.is_set(), "types": [m.get("type") for m in c.messages]}
        await pub.close()
        await plain.close()
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
