"""`sfu serve`: 500 joins and leaves leave no trace in the server's memory or descriptors."""

# Tolerances, after a warm-up of 50 cycles (allocator pools, caches, lazily created workers):
# descriptors may differ by at most FD_SLACK (log files, timers coming and going); resident
# memory may grow by at most RSS_SLACK_KB over the next 500 cycles, i.e. ~16 KB per cycle,
# far below what one leaked participant (transport, buffers, packet cache) costs.
FD_SLACK = 4
RSS_SLACK_KB = 8 * 1024


def test_join_leave_500(room_server):
    r = room_server.run_peer("room_churn.py", ["--warmup", "50", "--count", "500", "--workers", "4",
                                               "--publish-every", "25"], timeout=240)
    why = room_server.why(r)
    assert r["phase"] == "done", f"stopped at {r['phase']}: {r['notes']}" + why
    assert r["cycles"] == 550, f"{r['cycles']} cycles ran, wanted 550" + why
    assert r["failureCount"] == 0, f"{r['failureCount']} cycles failed: {r['failures']}" + why
    assert r["published"] == r["kinds"]["aiortc"], f"aiortc publishes: {r['published']} of {r['kinds']['aiortc']}" + why
    assert r["publishConnected"] == r["published"], \
        f"server reported connection-state connected for {r['publishConnected']} of {r['published']} publishers" + why
    warm, after = r["afterWarmup"], r["afterRun"]
    assert after["live"] == 0, f"/healthz after the run: {after['healthz']} (live participants not back to 0)" + why
    assert after["fds"] <= warm["fds"] + FD_SLACK, \
        f"descriptors grew {warm['fds']} -> {after['fds']} over 500 cycles (slack {FD_SLACK})" + why
    growth = after["rssKb"] - warm["rssKb"]
    assert growth <= RSS_SLACK_KB, \
        f"RSS grew {warm['rssKb']} -> {after['rssKb']} kB (+{growth} kB) over 500 cycles (slack {RSS_SLACK_KB} kB)" + why
    assert room_server.alive(), "sfu serve exited" + why
