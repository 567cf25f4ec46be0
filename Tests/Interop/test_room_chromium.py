"""`sfu serve` with its demo page in headless Chromium: three pages in one room, one leaves,
a fourth joins late and then closes its tab (docs/signaling.md, "Browser client")."""


def check_growth(table, what, why):
    bad = {page: {o: v for o, v in others.items() if not v["ok"]} for page, others in table.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{what}: media not growing between two samples 2 s apart " \
                    f"(video framesDecoded, audio packetsReceived as [first, second]): {bad}" + why


def test_three_pages_leave_and_late_join(room_server):
    r = room_server.run_peer("room_chromium.py", timeout=180)
    why = room_server.why(r, lines=60)
    assert r.get("three"), f"three pages never all received each other (phase {r['phase']}, {r['notes']})" + why
    check_growth(r["three"], "A, B, C", why)
    leave = r.get("leave")
    assert leave, f"leave step not reached (phase {r['phase']}, {r['notes']})" + why
    slow = {p: leave["goneAfter"].get(p) for p in ("A", "B") if (leave["goneAfter"].get(p) or 99) > 2.0}
    assert not slow, f"after C clicked Leave, still listed or with a tile after 2 s (seconds; None = never within 5 s): {slow}, " \
                     f"last polls {leave['presence']}" + why
    assert r.get("late"), f"late joiner D never received A and B or they never received D (phase {r['phase']}, {r['notes']})" + why
    check_growth(r["late"], "late joiner D", why)
    close = r.get("closeTab")
    assert close, f"close-tab step not reached (phase {r['phase']}, {r['notes']})" + why
    slow = {p: close["goneAfter"].get(p) for p in ("A", "B") if (close["goneAfter"].get(p) or 99) > 2.0}
    assert not slow, f"after D closed its tab, still listed or with a tile after 2 s (None = never within 5 s): {slow}" + why
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
