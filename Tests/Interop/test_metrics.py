"""`sfu serve`: /metrics and /stats after and during a real call (two aiortc participants, an
Opus tone), behind the metrics token."""
import json
import subprocess
import threading
import time

from conftest import RoomServer, http_get, parse_exposition, histogram_quantile, histogram_count as count

TOKEN = "interop-metrics-token-0123456789"
ROOM = "metrics-room"


def test_metrics_and_stats_of_a_call(testhost):
    server = RoomServer(testhost, extra_args=["--metrics-token", TOKEN]).start()
    try:
        # A configured token is required, development mode or not.
        for token in (None, "wrong-token-0123456789"):
            status, body = http_get(server, "/metrics", token)
            assert status == 401, f"/metrics with {token!r}: {status} {body[:200]}"
            status, _ = http_get(server, f"/stats/rooms/{ROOM}", token)
            assert status == 401

        result = {}

        def call():
            result["r"] = server.run_peer("room_tone.py", ["--room", ROOM, "--hz", "440", "--seconds", "5"], timeout=90)

        caller = threading.Thread(target=call)
        caller.start()
        # While the tone flows, the room's stats show both participants, media in and out.
        seen = None
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and caller.is_alive():
            status, body = http_get(server, f"/stats/rooms/{ROOM}", TOKEN)
            if status == 200:
                room = json.loads(body)
                people = room["participants"]
                if (len(people) == 2 and any(p["bitrateInBitsPerSecond"] > 0 for p in people)
                        and any(p["bitrateOutBitsPerSecond"] > 0 for p in people)):
                    seen = room
                    break
            time.sleep(0.5)
        caller.join(timeout=120)
        r = result.get("r")
        assert r is not None and r["phase"] == "done", f"the call did not finish: {r and r['phase']}" + server.why(r)
        assert seen is not None, "never saw both participants with media in /stats/rooms" + server.why(r)
        publisher = next(p for p in seen["participants"] if p["publishedTracks"] == 1)
        subscriber = next(p for p in seen["participants"] if p["subscribedTracks"] == 1)
        # Opus at 48 kHz, ~20 ms frames: tens of kbit/s, not zero, not megabits.
        assert 8_000 < publisher["bitrateInBitsPerSecond"] < 1_000_000, seen
        assert 8_000 < subscriber["bitrateOutBitsPerSecond"] < 1_000_000, seen
        assert publisher["packetsIn"] > 0 and subscriber["packetsOut"] > 0, seen

        status, text = http_get(server, "/metrics", TOKEN)
        assert status == 200, text[:300]
        samples, types = parse_exposition(text)
        for name in ("sfu_ice_connect_seconds", "sfu_dtls_handshake_seconds", "sfu_join_to_first_media_seconds",
                     "sfu_token_check_seconds", "sfu_signaling_message_seconds", "sfu_forwarding_latency_seconds"):
            assert types.get(name) == "histogram", f"{name} is not exported as a histogram: {types.get(name)}"
        # Two participants, each with at least one connected transport (the publisher's
        # publisher connection, the subscriber's subscriber connection).
        assert count(samples, "sfu_ice_connect_seconds") >= 2, text
        assert count(samples, "sfu_dtls_handshake_seconds") >= 2, text
        assert count(samples, "sfu_join_to_first_media_seconds") >= 1, text
        assert count(samples, "sfu_token_check_seconds") >= 2, text
        assert count(samples, "sfu_signaling_message_seconds", '{type="join"}') >= 2, text
        assert count(samples, "sfu_signaling_message_seconds", '{type="publish"}') >= 1, text
        # 6 s of 50 packets/s to one subscriber.
        forwarded = count(samples, "sfu_forwarding_latency_seconds")
        assert forwarded >= 250, f"only {forwarded} forwarded packets timed"
        assert samples[("sfu_forwarding_latency_seconds_bucket", '{le="+Inf"}')] == forwarded
        assert sum(v for (n, _), v in samples.items() if n == "sfu_worker_forwarded_packets_total") == forwarded
        assert samples.get(("sfu_joins_total", ""), 0) >= 2
        assert samples.get(("sfu_leaves_total", ""), 0) >= 2
        # The bundled relay's counters are in the same registry.
        assert types.get("turn_relayed_packets_total") == "counter", "TURN metrics missing"
        # Reported, not asserted (timing targets belong in benchmarks).
        print("forwarding latency p50/p99 upper bounds (s):",
              histogram_quantile(samples, "sfu_forwarding_latency_seconds", 0.5),
              histogram_quantile(samples, "sfu_forwarding_latency_seconds", 0.99))

        status, body = http_get(server, "/stats", TOKEN)
        assert status == 200
        summary = json.loads(body)
        assert sum(w["packetsForwarded"] for w in summary["workers"]) == forwarded
        assert all(w["forwardingLatencyP99Microseconds"] is not None for w in summary["workers"] if w["packetsForwarded"])
        # Both left: the room is gone.
        status, _ = http_get(server, f"/stats/rooms/{ROOM}", TOKEN)
        assert status == 404
    finally:
        server.stop()


def test_standalone_relay_serves_its_metrics(testhost):
    """`sfu turn --metrics-listen`: the relay's counters on /metrics, behind the token, after
    turnutils_uclient relayed through it."""
    from conftest import TurnServer, TURN_USER, TURN_PASSWORD, HOST_ADDR
    base = "http://127.0.0.1:9641"
    server = TurnServer(testhost, extra_args=["--metrics-listen", "127.0.0.1:9641", "--metrics-token", TOKEN,
                                              "--allowed-peer-ip", "10.213.0.0/24"]).start()
    peer = testhost.popen(["turnutils_peer", "-L", HOST_ADDR, "-p", "3480"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        status, _ = http_get(server, "/metrics", None, base=base)
        assert status == 401, status
        status, _ = http_get(server, "/metrics", "wrong-token-0123456789", base=base)
        assert status == 401, status
        time.sleep(0.3)
        p = testhost.exec(["turnutils_uclient", "-u", TURN_USER, "-w", TURN_PASSWORD, "-e", HOST_ADDR, "-r", "3480",
                           "-m", "2", "-n", "50", "-l", "120", "-z", "5", HOST_ADDR], timeout=60, check=False)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-1000:] + server.why()
        time.sleep(1.5)  # data-path counts reach the metrics once a second
        status, text = http_get(server, "/metrics", TOKEN, base=base)
        assert status == 200, text[:300]
        samples, types = parse_exposition(text)
        assert types.get("turn_relayed_packets_total") == "counter"
        to_peer = samples.get(("turn_relayed_packets_total", '{direction="to_peer"}'), 0)
        to_client = samples.get(("turn_relayed_packets_total", '{direction="to_client"}'), 0)
        assert to_peer >= 100 and to_client >= 100, (to_peer, to_client, text)
        assert samples.get(("turn_allocations_created_total", ""), 0) >= 2, text
    finally:
        peer.terminate()
        server.stop()
