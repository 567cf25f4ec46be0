"""A raw STUN/TURN client in pure Python (RFC 8489 STUN, RFC 8656 TURN, RFC 6156 IPv6 relays).

Library for the interop tests, and a small command line (`relay`, `binding`) for running inside a
test host:

- `Message`: build and parse messages (method/class bits, attributes, padding), with
  MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (CRC-32 xor 0x5354554e)
  computed on encode and checked on demand over the bytes that arrived.
- XOR-MAPPED/-PEER/-RELAYED-ADDRESS for IPv4 and IPv6, ERROR-CODE, UNKNOWN-ATTRIBUTES.
- Long-term keys: MD5(username:realm:password), or SHA-256 with PASSWORD-ALGORITHM (RFC 8489 9.2.2);
  TURN REST API credentials (username "expiry:identity", password base64(HMAC-SHA1(secret, username))).
- Transports: UDP (retransmits per RFC 8489 6.2.1, shortened), TCP and TLS (RFC 8489 6.2.2 framing;
  ChannelData padded to 4 bytes over streams, RFC 8656 12.5).
- `TurnClient`: the 401 -> authenticated request dance (438 Stale Nonce retried with the new nonce),
  Allocate, Refresh, CreatePermission, ChannelBind, Send indications, ChannelData, and receiving
  Data indications and ChannelData.

Every request/response exchange over UDP is recorded in `TRANSACTIONS` (request size, response
size, whether the response carried MESSAGE-INTEGRITY) so tests can report amplification figures.

Sockets come from `socket.socket` unless a `sock_factory(family, type)` is given (the tests create
sockets inside a network namespace that way).
"""
import argparse
import base64
import collections
import hashlib
import hmac
import ipaddress
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import time
import zlib

MAGIC_COOKIE = 0x2112A442
FINGERPRINT_XOR = 0x5354554E
HEADER = 20

# Methods (RFC 8489 18.2, RFC 8656 18).
BINDING = 0x001
ALLOCATE = 0x003
REFRESH = 0x004
SEND = 0x006
DATA = 0x007
CREATE_PERMISSION = 0x008
CHANNEL_BIND = 0x009
METHOD_NAMES = {BINDING: "Binding", ALLOCATE: "Allocate", REFRESH: "Refresh", SEND: "Send", DATA: "Data",
                CREATE_PERMISSION: "CreatePermission", CHANNEL_BIND: "ChannelBind"}

# Classes.
REQUEST = 0
INDICATION = 1
SUCCESS = 2
ERROR = 3
CLASS_NAMES = {REQUEST: "request", INDICATION: "indication", SUCCESS: "success", ERROR: "error"}

# Attributes (RFC 8489 18.3, RFC 8656 18, RFC 6156).
MAPPED_ADDRESS = 0x0001
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
EVEN_PORT = 0x0018
REQUESTED_TRANSPORT = 0x0019
DONT_FRAGMENT = 0x001A
MESSAGE_INTEGRITY_SHA256 = 0x001C
PASSWORD_ALGORITHM = 0x001D
USERHASH = 0x001E
XOR_MAPPED_ADDRESS = 0x0020
RESERVATION_TOKEN = 0x0022
PASSWORD_ALGORITHMS = 0x8002
SOFTWARE = 0x8022
FINGERPRINT = 0x8028

FAMILY_IPV4 = 0x01
FAMILY_IPV6 = 0x02
PASSWORD_ALGORITHM_MD5 = 0x0001
PASSWORD_ALGORITHM_SHA256 = 0x0002
UDP_PROTOCOL = 17

# Every UDP request/response exchange: dicts with method, requestBytes, responseBytes, responseClass,
# code, authenticated (the response carried MESSAGE-INTEGRITY or -SHA256).
TRANSACTIONS = []


class StunError(Exception):
    """Bytes that are not a well-formed STUN message."""


# ------------------------------------------------------------------------------ message type

def message_type(method, cls):
    """RFC 8489 5: the class bits C1 C0 sit at bits 8 and 4, between the method bits."""
    return ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((cls & 1) << 4) | ((cls & 2) << 7))


def split_type(value):
    method = (value & 0x000F) | ((value >> 1) & 0x0070) | ((value >> 2) & 0x0F80)
    cls = ((value >> 4) & 1) | ((value >> 7) & 2)
    return method, cls


# ------------------------------------------------------------------------------ keys and credentials

def long_term_key(username, realm, password, algorithm=PASSWORD_ALGORITHM_MD5):
    """RFC 8489 9.2.2: MD5 or SHA-256 of "username:realm:password" (ASCII inputs: OpaqueString is the identity)."""
    text = f"{username}:{realm}:{password}".encode()
    if algorithm == PASSWORD_ALGORITHM_SHA256:
        return hashlib.sha256(text).digest()
    return hashlib.md5(text).digest()


def rest_credentials(secret, identity, expiry):
    """TURN REST API (draft-uberti-behave-turn-rest, coturn --static-auth-secret): the username is
    "expiry:identity" (expiry in seconds since 1970), the password base64(HMAC-SHA1(secret, username))."""
    username = f"{int(expiry)}:{identity}" if identity else str(int(expiry))
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return username, password


# ------------------------------------------------------------------------------ addresses

def encode_xor_address(ip, port, tid, family=None):
    """XOR-MAPPED-ADDRESS style value (RFC 8489 14.2). `family` overrides the family byte (tests)."""
    addr = ipaddress.ip_address(ip)
    packed = addr.packed
    fam = family if family is not None else (FAMILY_IPV4 if addr.version == 4 else FAMILY_IPV6)
    xport = port ^ (MAGIC_COOKIE >> 16)
    mask = struct.pack("!I", MAGIC_COOKIE) + tid
    xaddr = bytes(b ^ mask[i] for i, b in enumerate(packed))
    return struct.pack("!BBH", 0, fam, xport) + xaddr


def decode_xor_address(value, tid):
    if len(value) < 8:
        raise StunError(f"address attribute of {len(value)} bytes")
    _, fam, xport = struct.unpack("!BBH", value[:4])
    port = xport ^ (MAGIC_COOKIE >> 16)
    mask = struct.pack("!I", MAGIC_COOKIE) + tid
    if fam == FAMILY_IPV4 and len(value) == 8:
        raw = bytes(b ^ mask[i] for i, b in enumerate(value[4:8]))
    elif fam == FAMILY_IPV6 and len(value) == 20:
        raw = bytes(b ^ mask[i] for i, b in enumerate(value[4:20]))
    else:
        raise StunError(f"address family {fam} with {len(value)} bytes")
    return str(ipaddress.ip_address(raw)), port


def decode_address(value):
    """MAPPED-ADDRESS (not XOR'ed)."""
    _, fam, port = struct.unpack("!BBH", value[:4])
    return str(ipaddress.ip_address(value[4:])), port


def family_of(ip):
    return socket.AF_INET6 if ipaddress.ip_address(ip).version == 6 else socket.AF_INET


def hostport(ip, port):
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def parse_hostport(text):
    """"1.2.3.4:5", "[::1]:5" -> (ip, port)."""
    if text.startswith("["):
        ip, _, port = text[1:].partition("]:")
    else:
        ip, _, port = text.rpartition(":")
    return ip, int(port)


# ------------------------------------------------------------------------------ attribute helpers

def error_code_value(code, reason=""):
    return struct.pack("!HBB", 0, code // 100, code % 100) + reason.encode()


def parse_error_code(value):
    """ERROR-CODE (RFC 8489 14.8) -> (code, reason)."""
    if len(value) < 4:
        raise StunError(f"ERROR-CODE of {len(value)} bytes")
    cls = value[2] & 0x07
    number = value[3]
    return cls * 100 + number, value[4:].decode("utf-8", "replace")


def parse_unknown_attributes(value):
    return [struct.unpack("!H", value[i:i + 2])[0] for i in range(0, len(value) - 1, 2)]


def u32(value):
    return struct.pack("!I", value)


def requested_transport(protocol=UDP_PROTOCOL):
    return struct.pack("!B3x", protocol)


def requested_family(family):
    return struct.pack("!B3x", family)


def channel_number_value(number):
    return struct.pack("!H2x", number)


# ------------------------------------------------------------------------------ messages

class Message:
    """A STUN message: method, class, transaction ID, attributes as (type, bytes) in order.

    Decoded messages keep `raw` (the bytes that arrived) and the offsets of MESSAGE-INTEGRITY,
    MESSAGE-INTEGRITY-SHA256 and FINGERPRINT for the checks below."""

    def __init__(self, method, cls, attrs=None, tid=None):
        self.method = method
        self.cls = cls
        self.tid = tid if tid is not None else os.urandom(12)
        self.attrs = list(attrs or [])
        self.raw = None
        self.offsets = {}

    # Building.
    def add(self, attr_type, value):
        if isinstance(value, str):
            value = value.encode()
        self.attrs.append((attr_type, bytes(value)))
        return self

    def add_xor_address(self, attr_type, ip, port, family=None):
        return self.add(attr_type, encode_xor_address(ip, port, self.tid, family))

    def encode(self, key=None, sha256_key=None, fingerprint=False, length_override=None):
        """The wire bytes: attributes, then MESSAGE-INTEGRITY (key), MESSAGE-INTEGRITY-SHA256
        (sha256_key), FINGERPRINT (RFC 8489 14.5-14.7), each computed with the length field
        counting up to and including itself. `length_override` writes a false length (tests)."""
        body = b"".join(_attr(t, v) for t, v in self.attrs)
        head = struct.pack("!HHI", message_type(self.method, self.cls), 0, MAGIC_COOKIE) + self.tid

        def with_length(extra):
            return head[:2] + struct.pack("!H", len(body) + extra) + head[4:] + body

        if key is not None:
            mac = hmac.new(key, with_length(24), hashlib.sha1).digest()
            body += _attr(MESSAGE_INTEGRITY, mac)
        if sha256_key is not None:
            mac = hmac.new(sha256_key, with_length(36), hashlib.sha256).digest()
            body += _attr(MESSAGE_INTEGRITY_SHA256, mac)
        if fingerprint:
            crc = (zlib.crc32(with_length(8)) & 0xFFFFFFFF) ^ FINGERPRINT_XOR
            body += _attr(FINGERPRINT, struct.pack("!I", crc))
        out = with_length(0)
        if length_override is not None:
            out = out[:2] + struct.pack("!H", length_override) + out[4:]
        return out

    # Parsing.
    @classmethod
    def decode(cls_, data):
        """Strict RFC 8489 5/14 parsing; raises StunError on anything malformed."""
        data = bytes(data)
        if len(data) < HEADER:
            raise StunError(f"{len(data)} bytes: shorter than a header")
        type_, length, cookie = struct.unpack("!HHI", data[:8])
        if type_ & 0xC000:
            raise StunError("first two bits are not zero")
        if cookie != MAGIC_COOKIE:
            raise StunError(f"magic cookie {cookie:#x}")
        if length % 4 or HEADER + length != len(data):
            raise StunError(f"length field {length} for {len(data)} bytes")
        method, klass = split_type(type_)
        msg = cls_(method, klass, tid=data[8:20])
        msg.raw = data
        offset = HEADER
        while offset < len(data):
            if len(data) - offset < 4:
                raise StunError(f"attribute header truncated at {offset}")
            attr_type, attr_len = struct.unpack("!HH", data[offset:offset + 4])
            padded = (attr_len + 3) & ~3
            if offset + 4 + padded > len(data):
                raise StunError(f"attribute {attr_type:#06x} at {offset} runs past the end")
            if attr_type in (MESSAGE_INTEGRITY, MESSAGE_INTEGRITY_SHA256, FINGERPRINT):
                msg.offsets.setdefault(attr_type, offset)
            msg.attrs.append((attr_type, data[offset + 4:offset + 4 + attr_len]))
            offset += 4 + padded
        return msg

    def get(self, attr_type):
        for t, v in self.attrs:
            if t == attr_type:
                return v
        return None

    def get_all(self, attr_type):
        return [v for t, v in self.attrs if t == attr_type]

    def has(self, attr_type):
        return any(t == attr_type for t, _ in self.attrs)

    @property
    def name(self):
        return f"{METHOD_NAMES.get(self.method, hex(self.method))} {CLASS_NAMES[self.cls]}"

    @property
    def error(self):
        """(code, reason) of an error response, else None."""
        value = self.get(ERROR_CODE)
        return parse_error_code(value) if value is not None else None

    @property
    def code(self):
        e = self.error
        return e[0] if e else None

    @property
    def unknown_attributes(self):
        value = self.get(UNKNOWN_ATTRIBUTES)
        return parse_unknown_attributes(value) if value is not None else None

    def xor_address(self, attr_type):
        value = self.get(attr_type)
        return decode_xor_address(value, self.tid) if value is not None else None

    def text(self, attr_type):
        value = self.get(attr_type)
        return value.decode("utf-8", "replace") if value is not None else None

    @property
    def lifetime(self):
        value = self.get(LIFETIME)
        return struct.unpack("!I", value)[0] if value is not None and len(value) == 4 else None

    @property
    def authenticated(self):
        return MESSAGE_INTEGRITY in self.offsets or MESSAGE_INTEGRITY_SHA256 in self.offsets

    # Checks over the received bytes.
    def _covered(self, offset, attr_size):
        covered = bytearray(self.raw[:offset])
        struct.pack_into("!H", covered, 2, offset - HEADER + attr_size)
        return bytes(covered)

    def check_integrity(self, key):
        offset = self.offsets.get(MESSAGE_INTEGRITY)
        if offset is None:
            return False
        mac = hmac.new(key, self._covered(offset, 24), hashlib.sha1).digest()
        return hmac.compare_digest(mac, self.raw[offset + 4:offset + 24])

    def check_integrity_sha256(self, key):
        offset = self.offsets.get(MESSAGE_INTEGRITY_SHA256)
        if offset is None:
            return False
        length = struct.unpack("!H", self.raw[offset + 2:offset + 4])[0]
        mac = hmac.new(key, self._covered(offset, 4 + length), hashlib.sha256).digest()[:length]
        return hmac.compare_digest(mac, self.raw[offset + 4:offset + 4 + length])

    def check_fingerprint(self):
        offset = self.offsets.get(FINGERPRINT)
        if offset is None:
            return False
        crc = (zlib.crc32(self._covered(offset, 8)) & 0xFFFFFFFF) ^ FINGERPRINT_XOR
        return struct.pack("!I", crc) == self.raw[offset + 4:offset + 8]

    def describe(self):
        parts = [self.name]
        if self.error:
            parts.append(f"{self.error[0]} {self.error[1]!r}")
        parts.append(f"attrs {[hex(t) for t, _ in self.attrs]}")
        if self.raw is not None:
            parts.append(f"{len(self.raw)} bytes")
        return " ".join(parts)


def _attr(attr_type, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", attr_type, len(value)) + value + b"\0" * pad


def channel_data(number, payload, pad=False):
    """ChannelData (RFC 8656 12.4); padded to 4 bytes over TCP/TLS (12.5)."""
    out = struct.pack("!HH", number, len(payload)) + payload
    if pad:
        out += b"\0" * ((4 - len(payload) % 4) % 4)
    return out


def is_stun(data):
    return len(data) >= HEADER and data[0] & 0xC0 == 0 and data[4:8] == struct.pack("!I", MAGIC_COOKIE)


# ------------------------------------------------------------------------------ transports

class UdpTransport:
    reliable = False

    def __init__(self, server, local=None, sock_factory=None):
        """server: (ip, port). local: (ip, port) to bind, optional."""
        self.server = (server[0], int(server[1]))
        factory = sock_factory or socket.socket
        self.sock = factory(family_of(self.server[0]), socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if local:
            self.sock.bind(local)
        self.sock.connect(self.server)

    @property
    def local(self):
        return self.sock.getsockname()[:2]

    def send(self, data):
        self.sock.send(data)

    def recv(self, timeout):
        """One datagram, or None after `timeout` seconds. An ICMP error (ECONNREFUSED) counts as nothing."""
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not ready:
            return None
        try:
            return self.sock.recv(65536)
        except ConnectionRefusedError:
            return None

    def close(self):
        self.sock.close()


class StreamTransport:
    """TCP, or TLS when `tls` is an ssl.SSLContext (RFC 8489 6.2.2-6.2.3)."""
    reliable = True

    def __init__(self, server, tls=None, server_hostname=None, local=None, sock_factory=None, timeout=5.0):
        self.server = (server[0], int(server[1]))
        factory = sock_factory or socket.socket
        sock = factory(family_of(self.server[0]), socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if local:
            sock.bind(local)
        sock.settimeout(timeout)
        sock.connect(self.server)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=server_hostname)
        sock.setblocking(False)
        self.sock = sock
        self.buffer = b""
        self.closed = False

    @property
    def local(self):
        return self.sock.getsockname()[:2]

    def send(self, data):
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def _frame(self):
        if len(self.buffer) < 4:
            return None
        length = struct.unpack("!H", self.buffer[2:4])[0]
        if self.buffer[0] & 0xC0 == 0:
            size = consumed = HEADER + length
        elif self.buffer[0] & 0xC0 == 0x40:
            size = 4 + length
            consumed = 4 + ((length + 3) & ~3)
        else:
            raise StunError(f"stream byte {self.buffer[0]:#x} is neither STUN nor ChannelData")
        if len(self.buffer) < consumed:
            return None
        frame, self.buffer = self.buffer[:size], self.buffer[consumed:]
        return frame

    def recv(self, timeout):
        """One framed message, or None after `timeout` (or when the connection is closed: see .closed)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            if self.closed:
                return None
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                ready, _, _ = select.select([self.sock], [], [], left)
                if not ready:
                    return None
            try:
                chunk = self.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except (ConnectionResetError, ssl.SSLError, OSError):
                chunk = b""
            if not chunk:
                self.closed = True
            self.buffer += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ------------------------------------------------------------------------------ clients

class StunClient:
    """Requests with transaction matching and (over UDP) retransmission. Messages that are not the
    awaited response (Data indications, ChannelData, stray responses) are kept in `inbox`."""

    def __init__(self, transport, rto=0.25, retries=3):
        self.transport = transport
        self.rto = rto
        self.retries = retries
        self.inbox = collections.deque()
        self.log = []  # this client's transactions (see TRANSACTIONS)

    def send_raw(self, data):
        self.transport.send(data)

    def exchange(self, data, tid, timeout=None, retries=None):
        """Sends `data` and waits for a response with transaction ID `tid`; retransmits over UDP
        (interval doubling from `rto`). Returns the decoded response or None."""
        retries = self.retries if retries is None else retries
        attempts = 1 if self.transport.reliable else 1 + retries
        wait = timeout if timeout is not None else (3.0 if self.transport.reliable else self.rto)
        for attempt in range(attempts):
            self.transport.send(data)
            deadline = time.monotonic() + wait
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                frame = self.transport.recv(left)
                if frame is None:
                    if getattr(self.transport, "closed", False):
                        return None
                    continue
                if is_stun(frame):
                    try:
                        msg = Message.decode(frame)
                    except StunError:
                        self.inbox.append(frame)
                        continue
                    if msg.tid == tid and msg.cls in (SUCCESS, ERROR):
                        self._record(data, msg)
                        return msg
                self.inbox.append(frame)
            wait *= 2
        return None

    def _record(self, request, response):
        entry = {
            "transport": "tcp" if self.transport.reliable else "udp",
            "method": METHOD_NAMES.get(response.method, hex(response.method)),
            "requestBytes": len(request),
            "responseBytes": len(response.raw),
            "responseClass": CLASS_NAMES[response.cls],
            "code": response.code,
            "authenticated": response.authenticated,
        }
        self.log.append(entry)
        if not self.transport.reliable:
            TRANSACTIONS.append(entry)

    def request(self, msg, timeout=None, retries=None, **encode):
        return self.exchange(msg.encode(**encode), msg.tid, timeout=timeout, retries=retries)

    def binding(self, fingerprint=False, timeout=None):
        msg = Message(BINDING, REQUEST)
        return self.request(msg, fingerprint=fingerprint, timeout=timeout)

    def recv_any(self, timeout):
        """The next message that arrived (from the inbox first): raw bytes or None."""
        if self.inbox:
            return self.inbox.popleft()
        return self.transport.recv(timeout)

    def close(self):
        self.transport.close()


class TurnClient(StunClient):
    """A TURN client with long-term credentials (RFC 8489 9.2, RFC 8656)."""

    def __init__(self, transport, username, password, realm=None, algorithm=None, integrity="sha1", **kw):
        super().__init__(transport, **kw)
        self.username = username
        self.password = password
        self.realm = realm
        self.nonce = None
        self.algorithm = algorithm          # None: MD5 without PASSWORD-ALGORITHM attributes
        self.offered_algorithms = None       # PASSWORD-ALGORITHMS from the server's 401, echoed back
        self.integrity = integrity           # "sha1", "sha256" or "both"
        self.relayed = None
        self.mapped = None
        self.lifetime = None
        self.challenges = []                 # every 401/438 response seen

    @classmethod
    def udp(cls, server, username, password, local=None, sock_factory=None, **kw):
        return cls(UdpTransport(server, local=local, sock_factory=sock_factory), username, password, **kw)

    @classmethod
    def tcp(cls, server, username, password, local=None, sock_factory=None, tls=None, server_hostname=None, **kw):
        return cls(StreamTransport(server, tls=tls, server_hostname=server_hostname, local=local,
                                   sock_factory=sock_factory), username, password, **kw)

    @property
    def key(self):
        return long_term_key(self.username, self.realm, self.password, self.algorithm or PASSWORD_ALGORITHM_MD5)

    def _learn(self, response):
        """REALM and NONCE (and PASSWORD-ALGORITHMS) from a 401 or 438."""
        self.challenges.append(response)
        if response.get(REALM) is not None:
            self.realm = response.text(REALM)
        if response.get(NONCE) is not None:
            self.nonce = response.text(NONCE)
        if response.get(PASSWORD_ALGORITHMS) is not None:
            self.offered_algorithms = response.get(PASSWORD_ALGORITHMS)

    def signed(self, method, attrs=(), tid=None, extra_after=(), nonce=None, username=None):
        """The authenticated request's bytes: attrs, USERNAME, REALM, NONCE (and the password
        algorithm attributes when one was chosen), MESSAGE-INTEGRITY(-SHA256), FINGERPRINT."""
        msg = Message(method, REQUEST, attrs, tid=tid)
        msg.add(USERNAME, username if username is not None else self.username)
        msg.add(REALM, self.realm)
        msg.add(NONCE, nonce if nonce is not None else self.nonce)
        if self.algorithm is not None:
            msg.add(PASSWORD_ALGORITHMS, self.offered_algorithms or b"")
            msg.add(PASSWORD_ALGORITHM, struct.pack("!HH", self.algorithm, 0))
        for t, v in extra_after:
            msg.add(t, v)
        key = self.key
        return msg, msg.encode(key=key if self.integrity in ("sha1", "both") else None,
                               sha256_key=key if self.integrity in ("sha256", "both") else None,
                               fingerprint=True)

    def challenge(self, method=ALLOCATE, attrs=None, timeout=None):
        """The unauthenticated first request (RFC 8489 9.2.3.1): returns the 401 (REALM and NONCE learned)."""
        if attrs is None:
            attrs = [(REQUESTED_TRANSPORT, requested_transport())] if method == ALLOCATE else []
        response = self.request(Message(method, REQUEST, attrs), timeout=timeout)
        if response is not None and response.code in (401, 438):
            self._learn(response)
        return response

    def authed(self, method, attrs=(), timeout=None, retries=None):
        """An authenticated request: challenge first if no nonce yet; a 438 (or a 401 carrying a
        new nonce right after the first try) is retried once with the new nonce, as a client does
        (RFC 8489 9.2.5)."""
        if self.nonce is None or self.realm is None:
            first = self.challenge(method, attrs=list(attrs), timeout=timeout)
            if first is None or first.code not in (401, 438):
                return first
        response = None
        for _ in range(2):
            msg, data = self.signed(method, attrs)
            response = self.exchange(data, msg.tid, timeout=timeout, retries=retries)
            if response is not None and response.code in (401, 438):
                self._learn(response)
            if response is None or response.code != 438:
                break
        return response

    # TURN requests.
    def allocate(self, family=None, lifetime=None, extra=(), transport_protocol=UDP_PROTOCOL, **kw):
        attrs = [(REQUESTED_TRANSPORT, requested_transport(transport_protocol))]
        if family is not None:
            attrs.append((REQUESTED_ADDRESS_FAMILY, requested_family(family)))
        if lifetime is not None:
            attrs.append((LIFETIME, u32(lifetime)))
        attrs.extend(extra)
        if self.nonce is None:
            first = self.request(Message(ALLOCATE, REQUEST, attrs), timeout=kw.get("timeout"))
            if first is None or first.code not in (401, 438):
                return first
            self._learn(first)
        response = self.authed(ALLOCATE, attrs, **kw)
        if response is not None and response.cls == SUCCESS:
            self.relayed = response.xor_address(XOR_RELAYED_ADDRESS)
            self.mapped = response.xor_address(XOR_MAPPED_ADDRESS)
            self.lifetime = response.lifetime
        return response

    def refresh(self, lifetime=None, **kw):
        attrs = [(LIFETIME, u32(lifetime))] if lifetime is not None else []
        return self.authed(REFRESH, attrs, **kw)

    def create_permission(self, *peers, **kw):
        """peers: (ip, port) pairs; one XOR-PEER-ADDRESS each."""
        return self._with_peers(CREATE_PERMISSION, [], peers, **kw)

    def channel_bind(self, number, peer, **kw):
        return self._with_peers(CHANNEL_BIND, [(CHANNEL_NUMBER, channel_number_value(number))], [peer], **kw)

    def _with_peers(self, method, attrs, peers, timeout=None, retries=None):
        # XOR-PEER-ADDRESS depends on the transaction ID, so each try builds its own message.
        response = None
        for _ in range(2):
            msg = Message(method, REQUEST, attrs)
            for ip, port in peers:
                msg.add_xor_address(XOR_PEER_ADDRESS, ip, port)
            _, data = self.signed(method, msg.attrs, tid=msg.tid)
            response = self.exchange(data, msg.tid, timeout=timeout, retries=retries)
            if response is not None and response.code in (401, 438):
                self._learn(response)
            if response is None or response.code != 438:
                break
        return response

    def send_indication(self, peer, payload, fingerprint=False):
        msg = Message(SEND, INDICATION)
        msg.add_xor_address(XOR_PEER_ADDRESS, peer[0], peer[1])
        msg.add(DATA_ATTR, payload)
        self.send_raw(msg.encode(fingerprint=fingerprint))

    def send_channel(self, number, payload):
        self.send_raw(channel_data(number, payload, pad=self.transport.reliable))

    def recv_data(self, timeout):
        """The next relayed datagram: ("data", (ip, port), payload) from a Data indication,
        ("channel", number, payload) from ChannelData, or None. Other messages are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            frame = self.recv_any(max(0.0, left))
            if frame is None:
                if left <= 0 or getattr(self.transport, "closed", False):
                    return None
                continue
            if len(frame) >= 4 and frame[0] & 0xC0 == 0x40:
                number, length = struct.unpack("!HH", frame[:4])
                return "channel", number, frame[4:4 + length]
            if is_stun(frame):
                try:
                    msg = Message.decode(frame)
                except StunError:
                    continue
                if msg.method == DATA and msg.cls == INDICATION:
                    return "data", msg.xor_address(XOR_PEER_ADDRESS), msg.get(DATA_ATTR)


# ------------------------------------------------------------------------------ command line

def _client_from_args(args, sock_factory=None):
    server = parse_hostport(args.server)
    if args.secret:
        username, password = rest_credentials(args.secret, args.identity, time.time() + 3600)
    else:
        username, password = args.user, args.password
    if args.transport == "udp":
        return TurnClient.udp(server, username, password)
    return TurnClient.tcp(server, username, password)


def run_relay(args):
    """A good allocation that keeps relaying: Allocate, CreatePermission and ChannelBind to an echo
    peer (turnutils_peer echoes), then one numbered packet every `interval`, alternating ChannelData
    and Send indications, until SIGTERM or `duration`. Prints READY once the first echo came back,
    and RESULT {json} at the end: sent, received, lost, the longest silence, errors."""
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    peer = parse_hostport(args.peer)
    result = {"sent": 0, "received": 0, "lost": None, "maxGapMs": 0.0, "errors": [], "relayed": None}
    try:
        client = _client_from_args(args)
        r = client.allocate(family=FAMILY_IPV6 if ":" in peer[0] else None)
        if r is None or r.cls != SUCCESS:
            raise RuntimeError(f"Allocate failed: {r.describe() if r else 'no answer'}")
        result["relayed"] = hostport(*client.relayed)
        r = client.create_permission(peer)
        if r is None or r.cls != SUCCESS:
            raise RuntimeError(f"CreatePermission failed: {r.describe() if r else 'no answer'}")
        r = client.channel_bind(0x4000, peer)
        if r is None or r.cls != SUCCESS:
            raise RuntimeError(f"ChannelBind failed: {r.describe() if r else 'no answer'}")
    except Exception as e:  # noqa: BLE001 - reported to the test
        result["errors"].append(f"setup: {e!r}")
        print("RESULT " + json.dumps(result), flush=True)
        return 1
    seen = set()
    ready = False
    start = time.monotonic()
    last_rx = None
    next_send = start
    seq = 0
    end_at = start + args.duration if args.duration else None
    while not stop["now"] and (end_at is None or time.monotonic() < end_at):
        now = time.monotonic()
        if now >= next_send:
            payload = struct.pack("!I", seq) + b"r" * (args.size - 4)
            if seq % 2 == 0:
                client.send_channel(0x4000, payload)
            else:
                client.send_indication(peer, payload)
            seq += 1
            next_send += args.interval
        got = client.recv_data(max(0.0, min(next_send - time.monotonic(), 0.05)))
        if got is not None:
            _, _, payload = got
            t = time.monotonic()
            if last_rx is not None:
                result["maxGapMs"] = max(result["maxGapMs"], round((t - last_rx) * 1000, 1))
            last_rx = t
            if payload and len(payload) >= 4:
                seen.add(struct.unpack("!I", payload[:4])[0])
            if not ready:
                ready = True
                print("READY " + json.dumps({"relayed": result["relayed"]}), flush=True)
    # Echoes in flight.
    drain_until = time.monotonic() + 0.5
    while time.monotonic() < drain_until:
        got = client.recv_data(0.05)
        if got is not None and got[2] and len(got[2]) >= 4:
            seen.add(struct.unpack("!I", got[2][:4])[0])
    if last_rx is not None:
        # A silence at the end counts too.
        result["maxGapMs"] = max(result["maxGapMs"], round((drain_until - 0.5 - last_rx) * 1000, 1))
    result["sent"] = seq
    result["received"] = len(seen)
    result["lost"] = seq - len(seen)
    result["durationS"] = round(time.monotonic() - start, 2)
    # Still a working allocation at the end: a Refresh must succeed.
    try:
        r = client.refresh(lifetime=600)
        result["refreshAtEnd"] = r.describe() if r is not None else None
        result["refreshOk"] = r is not None and r.cls == SUCCESS
    except Exception as e:  # noqa: BLE001
        result["errors"].append(f"refresh: {e!r}")
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def run_binding(args):
    server = parse_hostport(args.server)
    client = StunClient(UdpTransport(server))
    r = client.binding()
    out = {"response": r.describe() if r else None,
           "mapped": hostport(*r.xor_address(XOR_MAPPED_ADDRESS)) if r is not None and r.cls == SUCCESS else None}
    print("RESULT " + json.dumps(out), flush=True)
    return 0 if r is not None else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    relay = sub.add_parser("relay", help="keep a good allocation relaying to an echo peer")
    relay.add_argument("--server", required=True, help="HOST:PORT of the TURN server")
    relay.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    relay.add_argument("--user")
    relay.add_argument("--password")
    relay.add_argument("--secret", help="TURN REST secret (instead of --user/--password)")
    relay.add_argument("--identity", default="relay")
    relay.add_argument("--peer", required=True, help="HOST:PORT of an echo peer")
    relay.add_argument("--interval", type=float, default=0.01)
    relay.add_argument("--size", type=int, default=100)
    relay.add_argument("--duration", type=float, default=0, help="seconds (0: until SIGTERM)")
    binding = sub.add_parser("binding", help="one Binding request")
    binding.add_argument("--server", required=True)
    args = p.parse_args(argv)
    if args.command == "relay":
        return run_relay(args)
    return run_binding(args)


if __name__ == "__main__":
    sys.exit(main())
