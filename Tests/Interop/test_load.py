"""`sfu load`: the project's own WebRTC participants (libnice, DTLS, SRTP) against `sfu serve` in
a test host: a small room finds no loss and fills the metrics; a server that disappears mid-run,
or a load tool killed mid-run, leaves clear results on the other side."""
import json
import signal
import subprocess
import time

from conftest import RoomServer, http_get, parse_exposition, histogram_count, sfu_bin

TOKEN = "interop-load-metrics-token-0123456789"


def start_load(server, workdir, name, args):
    out = workdir / f"{name}.json"
    log = open(workdir / f"{name}.log", "wb")
    proc = server.host.popen(
        [sfu_bin(), "load", "--url", server.ws, "--bind", server.host.addr, "--json", str(out), *args],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, out, workdir / f"{name}.log"


def finish(proc, timeout):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        return None


def test_room_of_twenty_subscribers_without_loss_then_metrics(testhost):
    server = RoomServer(testhost, extra_args=["--metrics-token", TOKEN]).start()
    try:
        proc, out, log = start_load(server, testhost.workdir, "load",
                                    ["--scenario", "room", "--subscribers", "20", "--duration", "10", "--join-within", "1",
                                     "--room", "load-room"])
        code = finish(proc, 90)
        text = log.read_text(errors="replace")
        assert code == 0, f"sfu load exited {code}:\n{text[-3000:]}" + server.why()
        report = json.loads(out.read_text())
        assert report["participants"] == 21 and report["joined"] == 21, text
        assert report["failed"] == 0, report["errors"]
        assert report["packetsExpected"] > 0 and report["packetsLost"] == 0, text
        subscribers = [o for o in report["outcomes"] if not o["publishes"]]
        assert len(subscribers) == 20
        for o in subscribers:
            assert o["audio"]["packets"] > 300 and o["video"]["packets"] > 1000, o
            assert o["firstMediaMilliseconds"] is not None, o
        assert report["latencyMilliseconds"]["count"] > 20 * 1000
        # The summary carries the percentiles a user sizes with.
        for key in ("joinMilliseconds", "firstMediaMilliseconds", "latencyMilliseconds", "receivedKilobitsPerSecond"):
            assert report[key]["p99"] is not None, key
        assert "p99" in text and "loss" in text

        status, exposition = http_get(server, "/metrics", TOKEN)
        assert status == 200
        samples, types = parse_exposition(exposition)
        assert types.get("sfu_join_to_first_media_seconds") == "histogram"
        assert histogram_count(samples, "sfu_join_to_first_media_seconds") >= 20, exposition
        assert histogram_count(samples, "sfu_ice_connect_seconds") >= 21
        assert histogram_count(samples, "sfu_dtls_handshake_seconds") >= 21
        assert histogram_count(samples, "sfu_token_check_seconds") >= 21
        forwarded = histogram_count(samples, "sfu_forwarding_latency_seconds")
        received = sum(o["audio"]["packets"] + o["video"]["packets"] for o in subscribers)
        # Every packet a subscriber received was timed on its way through (a few sent at the very
        # end may still be in flight when the subscriber stops counting).
        assert forwarded >= received, (forwarded, received)
        assert samples[("sfu_forwarding_latency_seconds_bucket", '{le="+Inf"}')] == forwarded
        # Every forwarded packet was read from the publisher's socket with the kernel's receive
        # time, but the socket's first (timestamps are switched on by the first read).
        most = max(o["audio"]["packets"] + o["video"]["packets"] for o in subscribers)
        assert histogram_count(samples, "sfu_receive_wait_seconds") >= most - 1, exposition
        # The publisher's media was read by the worker's loop itself from the selected pair's
        # socket (WorkerLoop), not through a GLib iteration and libnice: all of it but what
        # queued behind a STUN check.
        direct = sum(v for (name, _), v in samples.items() if name == "sfu_worker_direct_datagrams_total")
        assert direct >= most // 2, (direct, most)
        # The copies were held for the end of each read and sent grouped by subscriber: the
        # publisher's pacer releases packets two or three at a time, so many left in segmented
        # runs (UDP_SEGMENT), and every copy went out through the held sends.
        held = sum(v for (name, _), v in samples.items() if name == "sfu_worker_held_datagrams_total")
        segmented = sum(v for (name, _), v in samples.items() if name == "sfu_worker_segmented_datagrams_total")
        runs = sum(v for (name, _), v in samples.items() if name == "sfu_worker_segmented_sends_total")
        # (Copies of what libnice read, behind a STUN check, left at once, not held.)
        assert held >= received // 2, (held, received)
        assert segmented >= received // 4 and runs > 0, (segmented, runs, received)
    finally:
        server.stop()


def test_load_reports_partial_results_when_the_server_disappears(testhost):
    server = RoomServer(testhost).start()
    proc, out, log = start_load(server, testhost.workdir, "load-gone",
                                ["--subscribers", "5", "--duration", "30", "--room", "gone-room"])
    try:
        # Media flows, then the server dies without a word (SIGKILL: no bye, no close frame).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, body = http_get(server, "/stats", None)
            if status == 200 and json.loads(body)["participants"] == 6:
                break
            time.sleep(0.3)
        time.sleep(3)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)
        # It notices at once (the sockets close), not at the end of its 30 s.
        code = finish(proc, 15)
        text = log.read_text(errors="replace")
        assert code is not None, "sfu load did not end within 15 s of the server's death:\n" + text[-2000:]
        assert code != 0, "a run cut short must not exit 0:\n" + text
        assert "interrupted" in text or "error" in text, text
        report = json.loads(out.read_text())
        assert report["joined"] == 6, text
        subscribers = [o for o in report["outcomes"] if not o["publishes"]]
        # What flowed before the server died is in the results, and every participant says why
        # it stopped.
        assert all(o["video"]["packets"] > 0 for o in subscribers), report["outcomes"]
        assert all(o["error"] for o in report["outcomes"]), report["outcomes"]
    finally:
        finish(proc, 1)
        server.stop()


def test_server_and_metrics_survive_a_load_tool_killed_mid_run(testhost):
    server = RoomServer(testhost, extra_args=["--metrics-token", TOKEN]).start()
    try:
        proc, out, log = start_load(server, testhost.workdir, "load-killed",
                                    ["--subscribers", "8", "--duration", "30", "--room", "killed-room"])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, body = http_get(server, "/stats/rooms/killed-room", TOKEN)
            if status == 200 and len(json.loads(body)["participants"]) == 9:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the load never filled the room:\n" + log.read_text(errors="replace")[-2000:])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        # The participants vanish without leave: /metrics keeps answering meanwhile, and once the
        # resume grace period (20 s) is over the room is gone.
        deadline = time.monotonic() + 40
        gone = False
        while time.monotonic() < deadline:
            status, exposition = http_get(server, "/metrics", TOKEN)
            assert status == 200 and server.alive(), server.why()
            status, _ = http_get(server, "/stats/rooms/killed-room", TOKEN)
            if status == 404:
                gone = True
                break
            time.sleep(1)
        assert gone, "the room outlived its vanished participants" + server.why()
        samples, _ = parse_exposition(http_get(server, "/metrics", TOKEN)[1])
        assert samples.get(("sfu_participants", "")) == 0
        assert samples.get(("sfu_leaves_total", ""), 0) >= 9
    finally:
        server.stop()


def test_retry_storm_everyone_rejoins_and_gets_media_again(testhost):
    server = RoomServer(testhost).start()
    try:
        proc, out, log = start_load(server, testhost.workdir, "load-storm",
                                    ["--scenario", "retry-storm", "--subscribers", "10", "--duration", "8", "--room", "storm-room"])
        code = finish(proc, 90)
        text = log.read_text(errors="replace")
        assert code == 0, f"sfu load exited {code}:\n{text[-3000:]}" + server.why()
        report = json.loads(out.read_text())
        assert report["joined"] == 11 and report["failed"] == 0, report["errors"]
        # Everyone dropped (no leave) and joined again under the same identity: the server replaced
        # the old sessions, and media flowed again to every subscriber.
        assert report["rejoinMilliseconds"]["count"] == 11, text
        assert report["rejoinFirstMediaMilliseconds"]["count"] == 10, text
        assert report["packetsLost"] == 0, text
        assert "rejoin (ms)" in text
        assert server.alive(), server.why()
    finally:
        server.stop()


def test_publishers_on_a_worker_of_their_own(testhost):
    """`--publishers-apart`: publishers on media-worker-0, subscribers on the others, as the load
    benchmark runs them (scripts/load-benchmark.sh --publishers-fifo); media flows as before."""
    refused = subprocess.run([sfu_bin(), "load", "--publishers-apart", "--workers", "1"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=30)
    assert refused.returncode != 0 and "--publishers-apart needs at least two workers" in refused.stderr, refused.stderr
    server = RoomServer(testhost).start()
    try:
        proc, out, log = start_load(server, testhost.workdir, "load-apart",
                                    ["--scenario", "rooms", "--rooms", "2", "--participants", "4", "--duration", "6",
                                     "--workers", "3", "--publishers-apart", "--room", "apart"])
        code = finish(proc, 90)
        text = log.read_text(errors="replace")
        assert code == 0, f"sfu load exited {code}:\n{text[-3000:]}" + server.why()
        report = json.loads(out.read_text())
        assert report["participants"] == 8 and report["joined"] == 8 and report["failed"] == 0, report["errors"]
        assert report["packetsExpected"] > 0 and report["packetsLost"] == 0, text
        subscribers = [o for o in report["outcomes"] if not o["publishes"]]
        assert len(subscribers) == 6
        for o in subscribers:
            assert o["audio"]["packets"] > 200 and o["video"]["packets"] > 600, o
    finally:
        server.stop()


def test_the_load_tool_offers_only_the_srtp_profile_asked_for(testhost):
    """`--srtp-profiles AES_CM_128_HMAC_SHA1_80` (as scripts/callgrind-benchmark.sh measures that
    profile): every participant's DTLS ends on it, as the server logs, and media flows; an unknown
    profile name is refused before anything starts."""
    refused = subprocess.run([sfu_bin(), "load", "--srtp-profiles", "AES_GCM_999"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=30)
    assert refused.returncode != 0 and "--srtp-profiles" in refused.stderr and "AES_GCM_999" in refused.stderr, refused.stderr
    server = RoomServer(testhost).start()
    try:
        proc, out, log = start_load(server, testhost.workdir, "load-cm",
                                    ["--subscribers", "2", "--duration", "5", "--srtp-profiles", "AES_CM_128_HMAC_SHA1_80"])
        code = finish(proc, 90)
        text = log.read_text(errors="replace")
        assert code == 0, f"sfu load exited {code}:\n{text[-3000:]}" + server.why()
        report = json.loads(out.read_text())
        assert report["joined"] == 3 and report["failed"] == 0 and report["packetsLost"] == 0, report["errors"]
        log_text = server.stderr_path.read_text(errors="replace")
        connected = [line for line in log_text.splitlines() if "DTLS connected" in line]
        # The publisher's connection and at least the two subscribers'.
        assert len(connected) >= 3, log_text[-3000:]
        assert all("AES_CM_128_HMAC_SHA1_80" in line for line in connected), connected
    finally:
        server.stop()
