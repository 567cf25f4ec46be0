import Benchmark
import RTP
import Transport

// The SFU's per-packet path, measured per packet: wall clock, thread CPU time and heap
// allocations. Every iteration handles 1000 packets (`scalingFactor: .kilo`); packets that an
// iteration needs fresh (new sequence numbers for SRTP's replay window, plain bytes for an
// in-place protect) are prepared before `startMeasurement()` and are not counted.
// Thresholds/PacketPath.<name>.p90.json hold the static threshold: zero mallocs.
// What each benchmark measures: docs/benchmarks.md, "Per-packet path".

let benchmarks: @Sendable () -> Void = {
    for profile in SRTPProfile.allCases {
        Benchmark("Forward.\(profile.rawValue)", configuration: .packetPath(maxDuration: .seconds(2))) { benchmark, state in
            state.source.fillProtected(state.pool, with: state.publisher)
            let forwarder = state.forwarder
            let pool = state.pool
            benchmark.measure {
                for slot in benchmark.scaledIterations {
                    forwarder.receive(pool.datagram(slot))
                }
            }
            precondition(forwarder.failures == 0, "forward failed \(forwarder.failures) times")
            blackHole(forwarder.lastSentLength)
        } setup: {
            try ForwardState(profile: profile)
        }

        Benchmark("Unprotect.\(profile.rawValue)", configuration: .packetPath(maxDuration: .seconds(2))) { benchmark, state in
            state.source.fillProtected(state.pool, with: state.publisher)
            let inbound = state.inbound
            let pool = state.pool
            var failures = 0
            var plainBytes = 0
            benchmark.measure {
                for slot in benchmark.scaledIterations {
                    do {
                        plainBytes &+= try inbound.unprotectRTP(pool.slot(slot), length: pool.length(slot))
                    } catch {
                        failures += 1
                    }
                }
            }
            precondition(failures == 0, "unprotect failed \(failures) times")
            blackHole(plainBytes)
        } setup: {
            try SRTPState(profile: profile)
        }

        Benchmark("Protect.\(profile.rawValue)", configuration: .packetPath(maxDuration: .seconds(2))) { benchmark, state in
            state.source.fillPlain(state.pool)
            let outbound = state.publisher
            let pool = state.pool
            var failures = 0
            var protectedBytes = 0
            benchmark.measure {
                for slot in benchmark.scaledIterations {
                    do {
                        protectedBytes &+= try outbound.protectRTP(pool.slot(slot), length: pool.length(slot))
                    } catch {
                        failures += 1
                    }
                }
            }
            precondition(failures == 0, "protect failed \(failures) times")
            blackHole(protectedBytes)
        } setup: {
            try SRTPState(profile: profile)
        }
    }

    Benchmark("Forward.withoutSRTP", configuration: .packetPath()) { benchmark, state in
        let forwarder = state.forwarder
        let pool = state.pool
        benchmark.measure {
            for slot in benchmark.scaledIterations {
                forwarder.receive(pool.datagram(slot))
            }
        }
        precondition(forwarder.failures == 0, "forward failed \(forwarder.failures) times")
        blackHole(forwarder.lastSentLength)
    } setup: {
        try PlainForwardState()
    }

    Benchmark("Classify", configuration: .packetPath()) { benchmark, pool in
        var rtp = 0
        benchmark.measure {
            for slot in benchmark.scaledIterations {
                if PacketDemultiplexer.classify(pool.datagram(slot)) == .rtp { rtp &+= 1 }
            }
        }
        precondition(rtp == benchmark.scaledIterations.count)
    } setup: {
        plainPool()
    }

    Benchmark("Parse", configuration: .packetPath()) { benchmark, pool in
        var failures = 0
        var checksum: UInt32 = 0
        benchmark.measure {
            for slot in benchmark.scaledIterations {
                do {
                    let packet = try RTPPacket(pool.datagram(slot))
                    checksum &+= packet.ssrc &+ packet.timestamp &+ UInt32(packet.sequenceNumber)
                        &+ UInt32(packet.payloadType) &+ UInt32(packet.payloadRange.count)
                } catch {
                    failures += 1
                }
            }
        }
        precondition(failures == 0)
        blackHole(checksum)
    } setup: {
        plainPool()
    }

    Benchmark("ExtensionLookup", configuration: .packetPath()) { benchmark, parsed in
        var found = 0
        var checksum = 0
        benchmark.measure {
            for slot in benchmark.scaledIterations {
                if let value = parsed.packets[slot].headerExtension(id: VideoPacket.transportSequenceNumberID),
                    let sequenceNumber = TransportSequenceNumberExtension.read(value)
                {
                    found &+= 1
                    checksum &+= Int(sequenceNumber)
                }
            }
        }
        precondition(found == benchmark.scaledIterations.count)
        blackHole(checksum)
    } setup: {
        ParsedPackets()
    }

    // One subscriber's copy of a parsed packet: `ForwardedStream.rewrite`, the SFU's own
    // per-copy work (a room with N subscribers does it N times per packet).
    Benchmark("Rewrite", configuration: .packetPath()) { benchmark, state in
        var failures = 0
        var checksum = 0
        let out = state.out
        benchmark.measure {
            for slot in benchmark.scaledIterations {
                if let rewritten = state.stream.rewrite(state.parsed.packets[slot], into: out, transportWide: UInt16(truncatingIfNeeded: slot),
                                                        nowMicroseconds: Int64(slot)) {
                    checksum &+= Int(rewritten.sequence)
                } else {
                    failures += 1
                }
            }
        }
        precondition(failures == 0)
        blackHole(checksum)
    } setup: {
        RewriteState()
    }
}

/// Parsed packets, a subscriber's `ForwardedStream` and the buffer it writes into.
final class RewriteState {
    let parsed = ParsedPackets()
    var stream = Forwarder.subscriberStream()
    let out: UnsafeMutableRawBufferPointer = .allocate(byteCount: 2048, alignment: 16)

    deinit { out.deallocate() }
}

/// 1000 plain 1200-byte RTP packets, each in its own slot, as they would sit in the worker
/// buffer after unprotect: a benchmark walks them all, so no work can be hoisted out of its loop.
private func plainPool() -> PacketPool {
    let pool = PacketPool(count: 1000)
    PacketSource().fillPlain(pool)
    return pool
}

/// 1000 packets, parsed once at set-up, for lookups on already validated packets.
final class ParsedPackets {
    let pool: PacketPool
    let packets: [RTPPacket]

    init() {
        let pool = plainPool()
        self.pool = pool
        packets = (0..<pool.count).map { slot in
            do { return try RTPPacket(pool.datagram(slot)) } catch { fatalError("\(error)") }
        }
    }
}

/// A publisher's outbound session and the SFU's inbound one, keyed alike, with a pool of 1000
/// packet slots and the sequence numbers to fill them with.
final class SRTPState {
    let publisher: SRTPSession
    let inbound: SRTPSession
    let pool = PacketPool(count: 1000)
    let source = PacketSource()

    init(profile: SRTPProfile) throws(SRTPError) {
        publisher = try SRTPSession(profile: profile, keyAndSalt: TestKeys.publisher(profile), direction: .outbound)
        inbound = try SRTPSession(profile: profile, keyAndSalt: TestKeys.publisher(profile), direction: .inbound)
    }
}

/// The forwarder without SRTP and 1000 plain packets: what the SFU's own code costs per packet.
final class PlainForwardState {
    let forwarder: Forwarder
    let pool = PacketPool(count: 1000)

    init() throws(SRTPError) {
        forwarder = try Forwarder(profile: nil)
        PacketSource().fillPlain(pool)
    }
}

/// A publisher's outbound session, the SFU's forwarder, and the subscriber's inbound session
/// that proves, once at set-up, that what the forwarder sends decrypts to the rewritten packet.
final class ForwardState {
    let publisher: SRTPSession
    let forwarder: Forwarder
    let pool = PacketPool(count: 1000)
    let source = PacketSource()

    init(profile: SRTPProfile) throws(SRTPError) {
        publisher = try SRTPSession(profile: profile, keyAndSalt: TestKeys.publisher(profile), direction: .outbound)
        forwarder = try Forwarder(profile: profile)
        try verify(profile: profile)
    }

    /// Forwards a few packets and checks each as the subscriber would receive it.
    private func verify(profile: SRTPProfile) throws(SRTPError) {
        let subscriber = try SRTPSession(profile: profile, keyAndSalt: TestKeys.subscriber(profile), direction: .inbound)
        let received = PacketPool(count: 1)
        let original = PacketPool(count: 1)
        for _ in 0..<4 {
            let datagram = pool.slot(0)
            let length = source.nextProtected(into: datagram, with: publisher)
            forwarder.receive(UnsafeRawBufferPointer(rebasing: datagram[0..<length]))
            precondition(forwarder.failures == 0, "forwarding failed")
            let sent = forwarder.lastSentLength
            precondition(sent == VideoPacket.length + profile.rtpOverhead, "unexpected protected length \(sent)")
            received.slot(0).copyMemory(from: UnsafeRawBufferPointer(rebasing: forwarder.forwardBuffer[0..<sent]))
            let plainLength = try subscriber.unprotectRTP(received.slot(0), length: sent)
            precondition(plainLength == VideoPacket.length)

            let packet: RTPPacket
            do { packet = try RTPPacket(UnsafeRawBufferPointer(rebasing: received.slot(0)[0..<plainLength])) } catch {
                preconditionFailure("forwarded packet does not parse: \(error)")
            }
            // The publisher's packet before protection (set-up forwards the first few indexes).
            original.setLength(
                VideoPacket.write(index: Int(forwarder.stream.sourceSequence(of: packet.sequenceNumber)!), into: original.slot(0)),
                at: 0
            )
            let publisherPacket: RTPPacket
            do { publisherPacket = try RTPPacket(original.datagram(0)) } catch { preconditionFailure("\(error)") }
            precondition(packet.ssrc == forwarder.subscriberSSRC)
            precondition(packet.payloadType == forwarder.subscriberPayloadType)
            precondition(packet.timestamp == publisherPacket.timestamp &+ forwarder.stream.timestampOffset)
            // One source: the picture numbering passes unchanged, so the whole payload does.
            precondition(packet.payload.elementsEqual(publisherPacket.payload), "payload changed in forwarding")
            precondition(packet.headerExtension(id: Forwarder.subscriberTransportWideID) != nil)
        }
    }
}
