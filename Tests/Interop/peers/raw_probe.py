#!/usr/bin/env python3
"""Feed `sfu probe` scripted stdin lines and record what it says (for bad-input tests).

--send takes a JSON list; each item is either a message object (sent as one JSON line) or a raw
string (sent as it is, plus a newline). Then waits up to --wait seconds for the probe to print
`closed` by itself; if it has not, sends close. The last stdout line is `RESULT {json}`.
"""
import argparse
import json
import os
import shlex
import sys
import time

from probe_client import PROBE_MISSING_EXIT, ProbeClient, ProbeMissing, emit_result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--probe-args", default="")
    ap.add_argument("--send", required=True)
    ap.add_argument("--wait", type=float, default=10.0)
    args = ap.parse_args()
    result = {"peer": "raw", "notes": []}
    try:
        probe = ProbeClient(shlex.split(args.probe_args), os.path.join(args.workdir, "probe.stderr"))
    except ProbeMissing as e:
        result["error"] = f"probe missing: {e}"
        emit_result(result)
        sys.exit(PROBE_MISSING_EXIT)
    t0 = time.monotonic()
    for item in json.loads(args.send):
        if isinstance(item, str):
            try:
                probe.proc.stdin.write(item.encode() + b"\n")
                probe.proc.stdin.flush()
            except OSError as e:
                result["notes"].append(f"write: {e!r}")
        else:
            probe.send(item)
    probe.wait_for(lambda: probe.finished, args.wait)
    result["closedByItself"] = probe.closed is not None
    result["closedAfter"] = round(time.monotonic() - t0, 3) if probe.closed is not None else None
    probe.close(10.0)
    result["probe"] = probe.summary()
    emit_result(result)


if __name__ == "__main__":
    main()
