"""The publishers' media arriving at a server, from a capture on the test host's loopback.

    python3 scripts/lib/arrivals.py CAPTURE.tsv SOCKETS.txt SERVER_PID OUT

CAPTURE.tsv: `tshark -T fields -e frame.time_epoch -e udp.srcport -e udp.dstport -e udp.length
-e udp.payload` of the capture. SOCKETS.txt: `ss -uanp` in the namespace while it ran, which
says whose each UDP port is. A datagram is a publisher's media when it goes from a port of
another process to one of SERVER_PID's and is RTP (RFC 7983: first byte 128-191; RFC 5761 4:
second byte not 192-223, RTCP's packet types). Writes OUT, one line per datagram in time order,
"OFFSET_NS PUBLISHER SIZE" (publisher numbered by first appearance, size the UDP payload's), the
input of `forwarding-floor replay`, and prints how grouped the arrivals are.
"""
import re
import sys


def main(capture, sockets, server_pid, out):
    owner = {}
    for line in open(sockets):
        fields = line.split()
        match = re.search(r"pid=(\d+)", line)
        if len(fields) >= 4 and match and ":" in fields[3]:
            owner[int(fields[3].rsplit(":", 1)[1])] = match.group(1)
    rows, publishers = [], {}
    for line in open(capture):
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 5 or len(fields[4]) < 4:
            continue
        source, destination = int(fields[1]), int(fields[2])
        if owner.get(destination) != server_pid or owner.get(source) in (None, server_pid):
            continue
        first, second = int(fields[4][0:2], 16), int(fields[4][2:4], 16)
        if not 128 <= first <= 191 or 192 <= second <= 223:
            continue
        publisher = publishers.setdefault(source, len(publishers))
        rows.append((float(fields[0]), publisher, int(fields[3]) - 8))
    if len(rows) < 2:
        sys.exit("arrivals.py: no publisher media in the capture")
    rows.sort()
    start = rows[0][0]
    with open(out, "w") as file:
        for time, publisher, size in rows:
            file.write(f"{round((time - start) * 1e9)} {publisher} {size}\n")
    # Grouping: a datagram within 30 us of another publisher's (either side), and the largest
    # run of datagrams each within 30 us of the one before.
    times = [row[0] for row in rows]
    grouped, run, longest = 0, 1, 1
    for index, (time, publisher, _) in enumerate(rows):
        near = (index > 0 and time - times[index - 1] <= 30e-6 and rows[index - 1][1] != publisher) or (
            index + 1 < len(rows) and times[index + 1] - time <= 30e-6 and rows[index + 1][1] != publisher)
        grouped += near
        run = run + 1 if index > 0 and time - times[index - 1] <= 30e-6 else 1
        longest = max(longest, run)
    # Datagrams per millisecond window: the work that lands at once.
    windows = {}
    for time in times:
        key = int((time - start) * 1000)
        windows[key] = windows.get(key, 0) + 1
    per_ms = sorted(windows.get(k, 0) for k in range(int((times[-1] - start) * 1000) + 1))
    p99 = per_ms[min(len(per_ms) - 1, int(0.99 * len(per_ms)))]
    print(f"  arrivals: {len(rows)} datagrams of {len(publishers)} publishers in {times[-1] - start:.1f} s; "
          f"{grouped / len(rows) * 100:.1f} % within 30 us of another publisher's, longest such run {longest}; "
          f"datagrams per millisecond p99 {p99}, max {per_ms[-1]}; written to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
