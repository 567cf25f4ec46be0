"""Drive one `sfu probe` process over JSON lines (used by the peer scripts).

The probe is started as a child of the peer script, so it runs in the same network namespace
(test host). Its stderr goes to a file the test prints on failure. A reader thread parses every
stdout line; the peer pumps messages with `poll()` / `wait_for()` and gets the bookkeeping
(states, errors, stats, candidates) for free.
"""
import json
import os
import queue
import subprocess
import threading
import time

PROBE_MISSING_EXIT = 3  # a peer script exits with this when the probe binary is not there


class ProbeMissing(Exception):
    pass


def probe_binary():
    path = os.environ.get("SFU_BIN", "")
    if not path:
        raise ProbeMissing("SFU_BIN is not set")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise ProbeMissing(f"SFU_BIN={path} is not an executable file (build it: swift build)")
    return path


class ProbeClient:
    def __init__(self, args, stderr_path):
        self.argv = [probe_binary(), "probe", *args]
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, bufsize=0
        )
        self.t0 = time.monotonic()
        self.queue = queue.Queue()
        self.messages = []        # every message, in order, with "_t" (seconds since start)
        self.unparsable = []      # stdout lines that were not JSON objects
        self.ice_states = []
        self.dtls_states = []
        self.srtp_profile = None
        self.dtls_error = None
        self.errors = []
        self.stats = []
        self.answers = []
        self.candidates = []
        self.end_of_candidates = False
        self.closed = None
        self.eof = False
        self.send_failures = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # --- reading ---------------------------------------------------------------------------
    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
                if not isinstance(msg, dict) or "type" not in msg:
                    raise ValueError("not a message object")
            except ValueError:
                self.unparsable.append(line[:500])
                continue
            msg["_t"] = round(time.monotonic() - self.t0, 3)
            self._record(msg)
            self.queue.put(msg)
        self.eof = True
        self.queue.put({"type": "_eof", "_t": round(time.monotonic() - self.t0, 3)})

    def _record(self, msg):
        with self._lock:
            self.messages.append(msg)
            t = msg["type"]
            if t == "ice-state":
                self.ice_states.append(msg.get("state"))
            elif t == "dtls-state":
                self.dtls_states.append(msg.get("state"))
                if msg.get("srtpProfile"):
                    self.srtp_profile = msg["srtpProfile"]
                if msg.get("error"):
                    self.dtls_error = msg["error"]
            elif t == "error":
                self.errors.append({"code": msg.get("code"), "message": msg.get("message")})
            elif t == "stats":
                self.stats.append(msg)
            elif t == "answer":
                self.answers.append(msg.get("sdp", ""))
            elif t == "candidate":
                self.candidates.append(msg.get("candidate", ""))
            elif t == "end-of-candidates":
                self.end_of_candidates = True
            elif t == "closed":
                self.closed = msg

    def poll(self, timeout=0.0):
        """Next message or None."""
        try:
            if timeout <= 0:
                return self.queue.get_nowait()
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, predicate, timeout, handle=None):
        """Pump messages (passing each to handle) until predicate() is true; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            msg = self.poll(min(left, 0.05))
            if msg is not None and handle is not None:
                handle(msg)

    # --- writing ---------------------------------------------------------------------------
    def send(self, obj):
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError) as e:
            self.send_failures.append(f"{obj.get('type')}: {e!r}")
            return False

    @property
    def connected(self):
        return "connected" in self.dtls_states

    @property
    def finished(self):
        return self.closed is not None or self.eof

    def request_stats(self, timeout=5.0, handle=None):
        before = len(self.stats)
        if not self.send({"type": "stats"}):
            return None
        self.wait_for(lambda: len(self.stats) > before or self.finished, timeout, handle)
        return self.stats[-1] if len(self.stats) > before else None

    def close(self, timeout=10.0, handle=None):
        """Ask for close (or just wait if already closing), then reap. Never leaves the process."""
        if not self.finished:
            self.send({"type": "close"})
        self.wait_for(lambda: self.finished, timeout, handle)
        killed = False
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=max(1.0, timeout / 2))
        except subprocess.TimeoutExpired:
            killed = True
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._reader.join(timeout=2)
        self._stderr.close()
        self.exit_code = self.proc.returncode
        self.killed = killed
        return self.proc.returncode

    def summary(self):
        """JSON-able record of everything the probe said."""
        return {
            "argv": self.argv,
            "iceStates": self.ice_states,
            "dtlsStates": self.dtls_states,
            "srtpProfile": self.srtp_profile,
            "dtlsError": self.dtls_error,
            "errors": self.errors,
            "finalStats": self.stats[-1] if self.stats else None,
            "statsCount": len(self.stats),
            "answer": self.answers[-1] if self.answers else None,
            "candidates": self.candidates,
            "endOfCandidates": self.end_of_candidates,
            "closed": self.closed,
            "exitCode": getattr(self, "exit_code", None),
            "killedAfterClose": getattr(self, "killed", None),
            "unparsableLines": self.unparsable[:20],
            "sendFailures": self.send_failures,
            "messageTypes": [m["type"] for m in self.messages][:400],
            "stderrPath": self.stderr_path,
        }


def sdp_candidates(sdp):
    """(address, port) of every UDP candidate in an SDP."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line[len("a="):].split()
            if len(parts) >= 8 and parts[2].lower() == "udp":
                out.append((parts[4], int(parts[5])))
    return out


def candidate_address(candidate):
    """(address, port) of one `candidate:...` string, or None."""
    parts = candidate.split()
    if len(parts) >= 8 and parts[2].lower() == "udp":
        return (parts[4], int(parts[5]))
    return None


def payload_types(sdp, codec):
    """Payload types (strings) whose rtpmap names codec (case-insensitive)."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("a=rtpmap:"):
            pt, rest = line[len("a=rtpmap:"):].split(" ", 1)
            if rest.split("/")[0].lower() == codec.lower():
                out.append(pt)
    return out


def emit_result(result):
    """The last stdout line of a peer script: RESULT <json>."""
    print("RESULT " + json.dumps(result, default=str), flush=True)
