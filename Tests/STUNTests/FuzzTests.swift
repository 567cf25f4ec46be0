@testable import STUN
import TestSupport
import Testing

/// Random and mutated datagrams through the decoder, the integrity and fingerprint checks and
/// every typed attribute reader: nothing may crash, and whatever decodes must re-encode to the
/// same attributes. Fixed seeds, so a failure replays.
@Suite struct FuzzTests {
    static let iterations = 20_000

    static let knownTypes: [STUNAttributeType] = [
        .mappedAddress, .username, .messageIntegrity, .errorCode, .unknownAttributes, .realm, .nonce,
        .messageIntegritySHA256, .passwordAlgorithm, .userhash, .xorMappedAddress, .channelNumber, .lifetime,
        .xorPeerAddress, .data, .xorRelayedAddress, .requestedAddressFamily, .evenPort, .requestedTransport,
        .dontFragment, .reservationToken, .passwordAlgorithms, .alternateDomain, .software, .alternateServer,
        .fingerprint, .additionalAddressFamily, .addressErrorCode, .icmp, .priority, .useCandidate,
        .iceControlled, .iceControlling,
    ]

    static func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func random(below bound: Int, _ rng: inout SplitMix64) -> Int { Int(rng.next() % UInt64(bound)) }

    /// Reads every attribute every way, and checks the message's MACs with `key`.
    static func exercise(_ received: STUNReceivedMessage, key: [UInt8]) -> Int {
        var touched = 0
        let message = received.message
        for attribute in message.attributes {
            if attribute.plainAddress() != nil { touched += 1 }
            if attribute.xorAddress(transactionID: message.transactionID) != nil { touched += 1 }
            if attribute.text() != nil { touched += 1 }
            if attribute.text(maximumBytes: 512) != nil { touched += 1 }
            if attribute.errorCode != nil { touched += 1 }
            if attribute.unknownAttributes != nil { touched += 1 }
            if attribute.passwordAlgorithmList != nil { touched += 1 }
            if attribute.passwordAlgorithmCode != nil { touched += 1 }
            if attribute.channelNumber != nil { touched += 1 }
            if attribute.uint32 != nil { touched += 1 }
            if attribute.requestedTransport != nil { touched += 1 }
            if attribute.addressFamily != nil { touched += 1 }
            if attribute.evenPortReserve != nil { touched += 1 }
        }
        if received.fingerprintIsValid { touched += 1 }
        if received.integrityIsValid(key: key) { touched += 1 }
        _ = message.value(of: .username)
        _ = message.contains(.fingerprint)
        _ = message.type.description
        _ = STUNMessage.looksLikeSTUN(received.bytes)
        _ = STUNMessage.messageLength(header: received.bytes)
        return touched
    }

    /// Whatever decodes re-encodes (without the computed attributes) to a message that decodes to
    /// the same thing, and re-protected with `key` verifies.
    static func checkReencoding(_ received: STUNReceivedMessage, input: [UInt8], key: [UInt8], protect: Bool) {
        #expect(received.bytes == input)
        let message = received.message
        let kept = nonComputed(message.attributes)
        guard let again = try? STUNMessage.decode(message.encode()) else {
            Issue.record("re-encoding of \(hexString(input)) does not decode")
            return
        }
        #expect(again.message.type == message.type)
        #expect(again.message.transactionID == message.transactionID)
        #expect(again.message.attributes == kept, "input \(hexString(input))")
        guard protect, kept.count + 2 <= STUNMessage.maximumAttributeCount else { return }
        let integrity: STUNIntegrity = key.count % 2 == 0 ? .sha1(key: key) : .sha256(key: key)
        guard let protected = try? STUNMessage.decode(message.encode(integrity: integrity, fingerprint: true)) else {
            Issue.record("protected re-encoding of \(hexString(input)) does not decode")
            return
        }
        #expect(protected.integrityIsValid(key: key) && protected.fingerprintIsValid, "input \(hexString(input))")
    }

    /// A header that passes the framing checks over random (often well-formed) attributes.
    static func randomMessage(_ rng: inout SplitMix64) -> [UInt8] {
        var body: [UInt8] = []
        for _ in 0..<random(below: 8, &rng) {
            let type = rng.next() % 4 == 0
                ? UInt16(truncatingIfNeeded: rng.next()) : knownTypes[random(below: knownTypes.count, &rng)].rawValue
            let lengths = [0, 1, 2, 4, 8, 20, 32, random(below: 48, &rng)]
            var value = randomBytes(lengths[random(below: lengths.count, &rng)], &rng)
            // Plausible address families and error classes more often than chance.
            if value.count >= 2, rng.next() % 2 == 0 { value[1] = UInt8(1 + rng.next() % 2) }
            if value.count >= 4, rng.next() % 2 == 0 { value[2] = UInt8(3 + rng.next() % 4); value[3] %= 100 }
            body += attributeBytes(type, value, padding: UInt8(truncatingIfNeeded: rng.next() % 2 == 0 ? 0 : rng.next()))
        }
        return wire(type: UInt16(truncatingIfNeeded: rng.next()) & 0x3FFF, transactionID: randomBytes(12, &rng), length: body.count) + body
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x57A1_F022_0001)
        var decoded = 0
        var touched = 0
        for iteration in 0..<Self.iterations {
            var bytes: [UInt8]
            switch rng.next() % 4 {
            case 0:
                // Plain random bytes, 0-200 of them.
                bytes = Self.randomBytes(Self.random(below: 201, &rng), &rng)
            case 1:
                // Random bytes behind a header that passes the framing checks.
                let count = Self.random(below: 46, &rng) * 4
                bytes = wire(type: UInt16(truncatingIfNeeded: rng.next()) & 0x3FFF, transactionID: Self.randomBytes(12, &rng),
                             length: count) + Self.randomBytes(count, &rng)
            default:
                bytes = Self.randomMessage(&rng)
            }
            guard let received = try? STUNMessage.decode(bytes) else { continue }
            decoded += 1
            let key = Self.randomBytes(Self.random(below: 80, &rng), &rng)
            touched += Self.exercise(received, key: key)
            Self.checkReencoding(received, input: bytes, key: key, protect: iteration % 8 == 0)
        }
        #expect(decoded > Self.iterations / 4)
        #expect(touched > Self.iterations)
    }

    // MARK: Mutations

    /// Offsets of the attribute headers a walk finds (stopping where the lengths stop making sense).
    static func attributeOffsets(_ bytes: [UInt8]) -> [Int] {
        var out: [Int] = []
        var offset = STUNMessage.headerLength
        while offset + 4 <= bytes.count {
            out.append(offset)
            offset += 4 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]) + 3) & ~3
        }
        return out
    }

    static func fixLength(_ bytes: inout [UInt8]) {
        guard bytes.count >= 4 else { return }
        let length = max(0, min(0xFFFF, bytes.count - STUNMessage.headerLength))
        bytes[2] = UInt8(length >> 8)
        bytes[3] = UInt8(length & 0xFF)
    }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        switch rng.next() % 9 {
        case 0 where !bytes.isEmpty:  // flip bits
            for _ in 0..<(1 + rng.next() % 4) {
                bytes[random(below: bytes.count, &rng)] ^= UInt8(1) << (rng.next() % 8)
            }
        case 1 where !bytes.isEmpty:  // truncate
            bytes = Array(bytes.prefix(random(below: bytes.count, &rng)))
        case 2 where bytes.count >= 4:  // edit the header's length field
            let length = [0, 4, 0xFFFF, 0xFFFC, bytes.count - 20 + 4, bytes.count - 20 - 4, bytes.count - 19,
                          random(below: 0x10000, &rng)][random(below: 8, &rng)]
            bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
            bytes[3] = UInt8(truncatingIfNeeded: length)
        case 3:  // edit an attribute's length field
            let offsets = attributeOffsets(bytes)
            guard !offsets.isEmpty else { break }
            let offset = offsets[random(below: offsets.count, &rng)]
            let old = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let length = [0, 4, 20, 0xFFFF, old + 1, old - 1, old + 4, old - 4, random(below: 0x10000, &rng)][random(below: 9, &rng)]
            bytes[offset + 2] = UInt8(truncatingIfNeeded: length >> 8)
            bytes[offset + 3] = UInt8(truncatingIfNeeded: length)
        case 4:  // insert random bytes
            let at = random(below: bytes.count + 1, &rng)
            bytes.insert(contentsOf: randomBytes(1 + random(below: 8, &rng), &rng), at: at)
        case 5:  // insert a whole attribute at an attribute boundary
            let offsets = attributeOffsets(bytes) + [bytes.count]
            let at = offsets[random(below: offsets.count, &rng)]
            let type = knownTypes[random(below: knownTypes.count, &rng)].rawValue
            let value = randomBytes([0, 4, 8, 20, 32, random(below: 40, &rng)][random(below: 6, &rng)], &rng)
            bytes.insert(contentsOf: attributeBytes(type, value), at: min(at, bytes.count))
        case 6:  // duplicate or remove an attribute
            let offsets = attributeOffsets(bytes)
            guard !offsets.isEmpty else { break }
            let index = random(below: offsets.count, &rng)
            let end = index + 1 < offsets.count ? offsets[index + 1] : bytes.count
            let chunk = Array(bytes[offsets[index]..<min(end, bytes.count)])
            if rng.next() % 2 == 0 {
                bytes.insert(contentsOf: chunk, at: offsets[random(below: offsets.count, &rng)])
            } else {
                bytes.removeSubrange(offsets[index]..<min(end, bytes.count))
            }
        case 7 where !bytes.isEmpty:  // delete a range
            let start = random(below: bytes.count, &rng)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + random(below: 8, &rng)))
        default:  // overwrite a byte
            if !bytes.isEmpty { bytes[random(below: bytes.count, &rng)] = UInt8(truncatingIfNeeded: rng.next()) }
        }
        return bytes
    }

    @Test func mutatedMessagesNeverCrash() {
        let seeds = Fixtures.all + turnMessages()
        #expect(seeds.allSatisfy { (try? STUNMessage.decode($0)) != nil })
        var rng = SplitMix64(seed: 0x57A1_F022_0002)
        var decoded = 0
        var verified = 0
        for iteration in 0..<Self.iterations {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0..<(1 + rng.next() % 3) { bytes = Self.mutate(bytes, &rng) }
            // Half the time the header length is made to agree, to reach the attribute parser.
            if rng.next() % 2 == 0 { Self.fixLength(&bytes) }
            guard let received = try? STUNMessage.decode(bytes) else { continue }
            decoded += 1
            let key = rng.next() % 2 == 0 ? rfc5769Key : Self.randomBytes(Self.random(below: 80, &rng), &rng)
            if received.integrityIsValid(key: rfc5769Key) { verified += 1 }
            _ = Self.exercise(received, key: key)
            Self.checkReencoding(received, input: bytes, key: key, protect: iteration % 8 == 0)
        }
        #expect(decoded > Self.iterations / 10)
        // Mutations after the MAC (in ignored attributes or FINGERPRINT) leave it valid.
        #expect(verified > 0)
    }

    // MARK: Addresses

    @Test func randomAddressTextNeverCrashes() {
        var rng = SplitMix64(seed: 0x57A1_F022_0003)
        let alphabet = Array("0123456789abcdefABCDEFg:.:/+-% ")
        let samples = ["::", "::1", "2001:db8::1", "::ffff:127.0.0.1", "fe80::1", "10.0.0.1", "255.255.255.255",
                       "1:2:3:4:5:6:7:8", "::1.2.3.4", "fd00::/8", "10.0.0.0/8", "64:ff9b::/96"]
        var parsed = 0
        for _ in 0..<10_000 {
            var text: [Character]
            if rng.next() % 2 == 0 {
                text = (0..<Self.random(below: 48, &rng)).map { _ in alphabet[Self.random(below: alphabet.count, &rng)] }
            } else {
                text = Array(samples[Self.random(below: samples.count, &rng)])
                for _ in 0..<(1 + rng.next() % 3) {
                    let character = alphabet[Self.random(below: alphabet.count, &rng)]
                    switch rng.next() % 3 {
                    case 0: text.insert(character, at: Self.random(below: text.count + 1, &rng))
                    case 1 where !text.isEmpty: text.remove(at: Self.random(below: text.count, &rng))
                    default: if !text.isEmpty { text[Self.random(below: text.count, &rng)] = character }
                    }
                }
            }
            let string = String(text)
            if let address = IPAddress(string) {
                parsed += 1
                // The formatted form parses back to the same address and is a fixed point.
                #expect(IPAddress(address.description) == address, "\(string) -> \(address)")
                #expect(IPAddress(address.description)?.description == address.description)
                #expect(IPAddress(bytes: address.bytes) == address)
                _ = (address.isLoopback, address.isPrivate, address.isLinkLocal, address.isMulticast,
                     address.isUnspecified, address.isThisNetwork, address.isReservedV4, address.canonical)
            }
            if let network = IPNetwork(string) {
                #expect(IPNetwork(network.description) == network, "\(string)")
                #expect(network.contains(network.address))
            }
        }
        #expect(parsed > 100)
    }

    /// Every address's text form parses back to it (this caught "::a.b.c.d" printed as "::ffff:a.b.c.d").
    @Test func randomAddressesFormatAndParse() {
        var rng = SplitMix64(seed: 0x57A1_F022_0004)
        for _ in 0..<5_000 {
            // Sparse groups give runs of zeros; some addresses are IPv4-mapped or -compatible.
            var groups = (0..<8).map { _ in rng.next() % 3 == 0 ? UInt64(rng.next() & 0xFFFF) : 0 }
            switch rng.next() % 4 {
            case 0: groups[0...4] = [0, 0, 0, 0, 0]; groups[5] = 0xFFFF
            case 1: groups[0...5] = [0, 0, 0, 0, 0, 0]
            default: break
            }
            let hi = groups[0..<4].reduce(0) { $0 << 16 | $1 }
            let lo = groups[4..<8].reduce(0) { $0 << 16 | $1 }
            for address in [IPAddress.v6(hi, lo), .v4(UInt32(truncatingIfNeeded: rng.next()))] {
                let text = address.description
                #expect(IPAddress(text) == address, "\(text)")
                #expect(!text.contains(":::"))
                #expect(text == text.lowercased())
            }
        }
    }
}
