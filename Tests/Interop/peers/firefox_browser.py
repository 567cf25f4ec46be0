"""Headless Firefox ESR pages driven over WebDriver BiDi (no geckodriver: Firefox speaks BiDi itself).

`FirefoxBrowser` mirrors `room_browser.Browser`: one Firefox process whose pages are separate
windows, each with the same RTCPeerConnection recorder (`room_browser.RECORDER`, installed with
`script.addPreloadScript` before the page's own scripts), so a test drives Firefox and Chromium
pages with the same JS snippets. `execute_async_script` accepts selenium's convention (the last
argument is the callback); `execute_async` takes a plain async function body. Every call has a
timeout and fails with RuntimeError carrying BiDi's own message.
"""
import json
import math
import os
import shutil
import signal
import subprocess
import time

from websockets.sync.client import connect

from room_browser import PRESENCE, RECORDER, SNAPSHOT, Browser

# Written to the profile's user.js. Firefox's remote agent already applies its "recommended"
# automation prefs (no first-run pages, no update checks); these add what media needs, and keep
# the browser off a network the test host does not have (each lookup would stall startup).
PREFS = {
    "media.navigator.streams.fake": True,          # fake camera (pattern) and microphone (tone)
    "media.navigator.permission.disabled": True,   # getUserMedia without a prompt
    "media.autoplay.default": 0,                   # remote <video> plays without a gesture
    "media.autoplay.blocking_policy": 0,
    "media.peerconnection.ice.obfuscate_host_addresses": False,  # real host candidates, no mDNS
    # Several pages in one browser: none may be throttled as a background page.
    "dom.min_background_timeout_value": 4,
    "dom.timeout.enable_budget_timer_throttling": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "toolkit.telemetry.enabled": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
}


def _from_bidi(v):
    """A BiDi RemoteValue as plain Python (dict/list/str/number/bool/None), recursively."""
    t = v.get("type")
    if t in ("undefined", "null"):
        return None
    if t in ("string", "boolean", "date"):
        return v.get("value")
    if t == "number":
        x = v["value"]
        if isinstance(x, str):  # NaN, -0, Infinity, -Infinity come as strings
            return {"NaN": math.nan, "-0": -0.0, "Infinity": math.inf, "-Infinity": -math.inf}[x]
        return x
    if t == "bigint":
        return int(v["value"])
    if t in ("array", "set"):
        return [_from_bidi(x) for x in v.get("value") or []]
    if t in ("object", "map"):  # [[key, value], ...]; a key is a string or a RemoteValue
        return {(k if isinstance(k, str) else str(_from_bidi(k))): _from_bidi(x) for k, x in v.get("value") or []}
    if t == "regexp":
        return "/%s/%s" % (v["value"]["pattern"], v["value"].get("flags", ""))
    return {"type": t}  # node, window, function, error...: not JSON-able, say what it was


def _to_bidi(x):
    """A Python value as a BiDi LocalValue, for script.callFunction's arguments."""
    if x is None:
        return {"type": "null"}
    if isinstance(x, bool):
        return {"type": "boolean", "value": x}
    if isinstance(x, (int, float)):
        if isinstance(x, float) and not math.isfinite(x):
            return {"type": "number", "value": "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")}
        return {"type": "number", "value": x}
    if isinstance(x, str):
        return {"type": "string", "value": x}
    if isinstance(x, (list, tuple)):
        return {"type": "array", "value": [_to_bidi(y) for y in x]}
    if isinstance(x, dict):
        return {"type": "object", "value": [[str(k), _to_bidi(y)] for k, y in x.items()]}
    raise TypeError(f"cannot pass {type(x).__name__} to the page")


class FirefoxBrowser:
    def __init__(self, workdir, label="firefox", timeout=20):
        self.workdir, self.label, self.timeout = workdir, label, timeout
        self.pages = {}    # name -> browsing context id
        self.console = {}  # name -> console lines (from log.entryAdded)
        self._id = 0
        self._ws = None
        profile = os.path.join(workdir, label + "-profile")
        shutil.rmtree(profile, ignore_errors=True)
        os.makedirs(profile)
        with open(os.path.join(profile, "user.js"), "w") as f:
            f.writelines(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in PREFS.items())
        self._log = open(os.path.join(workdir, label + ".log"), "w")
        # Port 0: Firefox picks a free port itself and writes it to WebDriverBiDiServer.json in
        # the profile, so there is no race between choosing a port and binding it. Own session
        # (process group) so quit() can end the content processes too.
        self.proc = subprocess.Popen(
            ["firefox-esr", "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", "0", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"})
        try:
            port = self._wait_port(os.path.join(profile, "WebDriverBiDiServer.json"), 30)
            self._ws = connect(f"ws://127.0.0.1:{port}/session", open_timeout=10, close_timeout=2, max_size=None)
            self.command("session.new", {"capabilities": {}})
            self.command("session.subscribe", {"events": ["log.entryAdded"]})
            # The window Firefox opened at start becomes the first page.
            self._spare = self.command("browsingContext.getTree", {"maxDepth": 0})["contexts"][0]["context"]
        except BaseException:
            self.quit()
            raise

    def _wait_port(self, path, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label}: firefox exited with {self.proc.returncode} (see {self._log.name})")
            try:
                with open(path) as f:
                    return json.load(f)["ws_port"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)  # not written yet, or half written
        raise RuntimeError(f"{self.label}: no WebDriver BiDi port within {timeout} s")

    def command(self, method, params, timeout=None):
        """Sends one BiDi command and returns its result; events read meanwhile are dispatched.
        A reply that comes after its timeout is dropped later (its id no longer matches)."""
        if self._ws is None:
            raise RuntimeError(f"{self.label}: not connected")
        self._id += 1
        cid = self._id
        try:
            self._ws.send(json.dumps({"id": cid, "method": method, "params": params}))
        except Exception as e:
            raise RuntimeError(f"{self.label}: {method}: connection lost: {e!r}") from None
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            try:
                msg = json.loads(self._ws.recv(timeout=max(left, 0)))
            except TimeoutError:
                raise RuntimeError(f"{self.label}: {method} timed out after {timeout or self.timeout} s") from None
            except Exception as e:
                raise RuntimeError(f"{self.label}: {method}: connection lost: {e!r}") from None
            if msg.get("type") == "event":
                self._event(msg)
            elif msg.get("id") == cid:
                if msg.get("type") == "error":
                    raise RuntimeError(f"{self.label}: {method}: {msg.get('error')}: {msg.get('message')}")
                return msg.get("result", {})

    def _event(self, msg):
        if msg.get("method") != "log.entryAdded":
            return
        p = msg["params"]
        ctx = (p.get("source") or {}).get("context")
        name = next((n for n, c in self.pages.items() if c == ctx), "?")
        self.console.setdefault(name, []).append(f"{p.get('timestamp', 0) / 1000:.3f} {p.get('level')} {p.get('text')}")

    def open(self, name, url, timeout=30):
        if self._spare:
            ctx, self._spare = self._spare, None
        else:  # a window, not a tab: each is then the foreground page of its own window
            ctx = self.command("browsingContext.create", {"type": "window"})["context"]
        self.pages[name] = ctx
        self.command("script.addPreloadScript", {"functionDeclaration": "() => {" + RECORDER + "}", "contexts": [ctx]})
        self.command("browsingContext.navigate", {"context": ctx, "url": url, "wait": "complete"}, timeout)

    def call(self, name, function, args=(), timeout=None):
        """Calls a JS function declaration in the page with `args`, awaits the Promise it may return
        and gives back its result as plain Python."""
        # The page settles every call itself: on a file:// page Firefox cannot report a rejected
        # promise ("Missing stack, unable to build exceptionDetails"), so errors come back as data.
        wrapped = ("function(...a) { return Promise.resolve().then(() => (" + function + ").apply(null, a)).then("
                   "(v) => ({ ok: v }), (e) => ({ err: String(e) + (e && e.stack ? '\\n' + e.stack : '') })); }")
        r = self.command("script.callFunction", {
            "functionDeclaration": wrapped, "awaitPromise": True,
            "target": {"context": self.pages[name]}, "arguments": [_to_bidi(a) for a in args],
            "resultOwnership": "none", "serializationOptions": {"maxObjectDepth": 64, "maxDomDepth": 0},
        }, timeout)
        if r.get("type") == "exception":
            d = r.get("exceptionDetails") or {}
            raise RuntimeError(f"{self.label}/{name}: script threw: {d.get('text')}")
        out = _from_bidi(r["result"])
        if "err" in out:
            raise RuntimeError(f"{self.label}/{name}: script threw: {out['err'].strip()}")
        return out["ok"]

    def execute_async(self, name, body, *args, timeout=None):
        """`body` is an async function body (it may await, and returns the result); `arguments`
        holds *args."""
        return self.call(name, "async function() {\n" + body + "\n}", args, timeout)

    def execute_async_script(self, name, script, *args, timeout=None):
        """Selenium's convention: `arguments` is *args followed by the callback `done`."""
        return self.call(name, "function(...args) { return new Promise((resolve, reject) => {"
                         " try { (function() {\n" + script + "\n}).apply(null, args.concat([resolve])); }"
                         " catch (e) { reject(e); } }); }", args, timeout)

    def execute_script(self, name, script, *args, timeout=None):
        """Selenium's execute_script: a synchronous body that `return`s, with `arguments`."""
        return self.call(name, "function(...args) { return (function() {\n" + script + "\n}).apply(null, args); }", args, timeout)

    # The same page-level helpers as room_browser.Browser, with the same snippets.
    def snapshot(self, name):
        return self.execute_async_script(name, SNAPSHOT)

    def presence(self, name, participant_id):
        return self.execute_script(name, PRESENCE, participant_id)

    def click(self, name, element_id):
        self.execute_script(name, "document.getElementById(arguments[0]).click();", element_id)

    wait_joined = Browser.wait_joined  # uses only self.pages and self.snapshot

    def close_page(self, name):
        ctx = self.pages.pop(name)
        if self.pages or self._spare:
            self.command("browsingContext.close", {"context": ctx}, 10)
        else:  # closing the last window would end the browser: leave it blank for the next open()
            self.command("browsingContext.navigate", {"context": ctx, "url": "about:blank", "wait": "complete"}, 10)
            self._spare = ctx

    def kill_hard(self):
        """SIGKILL every Firefox process at once (no close frames, no pagehide). Returns the pgid."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.proc.pid

    def quit(self):
        """Ends the browser without ever hanging: browser.close, then SIGTERM, then SIGKILL."""
        if self._ws is not None:
            try:
                self.command("browser.close", {}, 5)
            except RuntimeError:
                pass
            try:
                self._ws.close()
            except Exception:
                pass
            self._ws = None
        for sig, wait in ((None, 5), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if sig is not None:
                try:
                    os.killpg(self.proc.pid, sig)  # the whole group: content processes too
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # content processes may outlive the parent for a moment
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()
