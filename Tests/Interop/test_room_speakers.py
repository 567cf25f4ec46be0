"""`sfu serve`: active speakers from the audio levels aiortc stamps on its Opus packets (RFC 6464),
told to every participant in `active-speakers` messages, within a second of each change."""

# Start: 0.3 of the smoothed share of sound, 0.4 of each 250 ms interval: the first interval of
# speech is enough, so 1 s leaves room for the interval boundary, encoder and network.
START_SECONDS = 1.0
# A silent dominant speaker decays below a loud challenger's score minus the margin, or below the
# stop score, within a few intervals; stopping entirely takes longer (0.15 from about 0.8).
TAKE_OVER_SECONDS = 1.5
STOP_SECONDS = 2.0


def test_active_speakers_follow_who_is_loud(room_server):
    r = room_server.run_peer("room_speakers.py", ["--hold", "3"], timeout=120)
    why = room_server.why(r)
    assert r["phase"] == "done", f"stopped at phase {r['phase']}: {r['notes']}" + why
    ids = r["ids"]
    print(f"\nactive speakers: A starts {r['aStarts']} s, B takes the floor {r['bDominant']} s, "
          f"A stops {r['bAlone']} s, nobody {r['nobody']} s; messages {r['all']}")
    assert not any(r["silence"]), f"speakers announced while both were silent: {r['silence']}" + why
    assert not any(r["noise"]), f"-53 dBov noise announced as speech: {r['noise']}" + why
    for who, delay in r["aStarts"].items():
        assert delay is not None and delay <= START_SECONDS, \
            f"{who} was told A speaks after {delay} s (limit {START_SECONDS} s): {r['all']}" + why
    assert r["whileASpeaks"] == [[ids["a"]]], \
        f"while A spoke steadily the list should change once, to [A]: {r['whileASpeaks']}" + why
    assert r["bDominant"] is not None and r["bDominant"] <= TAKE_OVER_SECONDS, \
        f"B took the floor after {r['bDominant']} s (limit {TAKE_OVER_SECONDS} s): {r['all']}" + why
    assert r["bAlone"] is not None and r["bAlone"] <= STOP_SECONDS, \
        f"A stopped speaking after {r['bAlone']} s (limit {STOP_SECONDS} s): {r['all']}" + why
    assert r["nobody"] is not None and r["nobody"] <= STOP_SECONDS, \
        f"nobody speaking told after {r['nobody']} s (limit {STOP_SECONDS} s): {r['all']}" + why
