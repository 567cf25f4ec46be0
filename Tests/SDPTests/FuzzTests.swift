import TestSupport
import Testing
import SDP


/// Mutates each captured offer thousands of times and runs it through parse, write and
/// makeAnswer. Nothing may crash or hang; whatever parses must round-trip exactly.
@Suite struct FuzzTests {
    static let iterations = 1000

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let choice = rng.next() % 8
        var lines = choice <= 2 ? input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init) : []
        switch choice {
        case 0 where lines.count > 1:  // drop a line
            lines.remove(at: Int(rng.next() % UInt64(lines.count)))
            return Array(lines.joined(separator: [0x0A]))
        case 1 where !lines.isEmpty:  // duplicate a line (many times: attribute bombs)
            let i = Int(rng.next() % UInt64(lines.count))
            let copies = Int(rng.next() % 4 == 0 ? rng.next() % 600 : 1)
            lines.insert(contentsOf: Array(repeating: lines[i], count: copies), at: i)
            return Array(lines.joined(separator: [0x0A]))
        case 2 where lines.count > 1:  // swap two lines
            lines.swapAt(Int(rng.next() % UInt64(lines.count)), Int(rng.next() % UInt64(lines.count)))
            return Array(lines.joined(separator: [0x0A]))
        case 3 where !bytes.isEmpty:  // truncate
            return Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
        case 4:  // insert a hostile token
            let tokens: [[UInt8]] = [
                [0], [0xFF], [0x0D], Array(" ".utf8), Array(":".utf8), Array("99999999999999999999".utf8),
                Array("\na=".utf8), Array("\nm=video 0 UDP/TLS/RTP/SAVPF 96".utf8), Array("~".utf8), Array(";".utf8),
            ]
            let t = tokens[Int(rng.next() % UInt64(tokens.count))]
            bytes.insert(contentsOf: t, at: Int(rng.next() % UInt64(bytes.count + 1)))
            return bytes
        default:  // flip bytes
            for _ in 0..<(1 + rng.next() % 4) where !bytes.isEmpty {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
            }
            return bytes
        }
    }

    @Test(arguments: Fixtures.names())
    func mutatedOffersNeverCrash(name: String) throws {
        let original = Array(Fixtures.text(name).utf8)
        var rng = SplitMix64(seed: 0x5D9_0000 &+ UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        var parsed = 0
        var answered = 0
        for iteration in 0..<Self.iterations {
            var input = original
            for _ in 0..<(1 + rng.next() % 3) { input = Self.mutate(input, &rng) }
            guard let sdp = try? SessionDescription(parsing: input) else { continue }
            parsed += 1
            // Round trips are checked on a quarter of the inputs to keep the suite fast in debug.
            let check = iteration % 4 == 0
            if check {
                #expect(try SessionDescription(parsing: sdp.text) == sdp)
            }
            if let result = try? makeAnswer(to: sdp, options: TestSupport.options()) {
                answered += 1
                if check {
                    #expect(try SessionDescription(parsing: result.answer.text) == result.answer)
                }
            }
        }
        // The mutations must leave enough valid input to exercise the answerer too.
        #expect(parsed > Self.iterations / 10)
        #expect(answered > 0)
    }
}
