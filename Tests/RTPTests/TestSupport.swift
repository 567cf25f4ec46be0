import TestSupport
import Foundation
import RTP
import Testing

/// Runs `body` over a copy of `bytes` (tests may allocate; the module may not).
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { try body($0) }
}

/// The parse error `parse` throws for `bytes`, or nil if it parses.
/// (Closures' typed throws are not inferred, so this takes any error and expects RTPParseError.)
func parseError<T>(_ bytes: [UInt8], _ parse: (UnsafeRawBufferPointer) throws -> T) -> RTPParseError? {
    bytes.withUnsafeBytes { buffer in
        do {
            _ = try parse(buffer)
            return nil
        } catch let error as RTPParseError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}

/// Calls a writer with a buffer of `capacity` bytes and returns what it wrote.
func written(capacity: Int = 1500, _ write: (UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int) throws(RTPWriteError) -> [UInt8] {
    var storage = [UInt8](repeating: 0xEE, count: capacity)
    var result: Result<Int, RTPWriteError> = .success(0)
    storage.withUnsafeMutableBytes { buffer in
        do throws(RTPWriteError) {
            result = .success(try write(buffer))
        } catch {
            result = .failure(error)
        }
    }
    let count = try result.get()
    return Array(storage[0..<count])
}

/// The write error a writer throws with a buffer of `capacity` bytes, or nil.
func writeError(capacity: Int, _ write: (UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int) -> RTPWriteError? {
    do throws(RTPWriteError) {
        _ = try written(capacity: capacity, write)
        return nil
    } catch {
        return error
    }
}

/// Big-endian bytes from hex text; spaces ignored ("80 60 00 01").
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func string(_ bytes: UnsafeRawBufferPointer?) -> String? {
    bytes.map { String(decoding: $0, as: UTF8.self) }
}


/// Packet files shipped with the tests: every `.bin` under Fixtures (aiortc now, browser
/// captures later), with the aiortc manifest where there is one.
enum Fixtures {
    static var root: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    /// Every .bin file under Fixtures, sorted by path, as (relative path, bytes).
    static func allPackets() throws -> [(name: String, bytes: [UInt8])] {
        let root = self.root
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var result: [(String, [UInt8])] = []
        for case let url as URL in enumerator where url.pathExtension == "bin" {
            let name = url.path.replacingOccurrences(of: root.path + "/", with: "")
            result.append((name, [UInt8](try Data(contentsOf: url))))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }

    struct Entry: Decodable {
        let file: String
        let kind: String
        let length: Int
        let expect: Expectation
    }

    /// "rtp" entries hold one object; "rtcp" entries a list, one per packet in the datagram.
    enum Expectation: Decodable {
        case rtp(RTPExpectation)
        case rtcp([RTCPExpectation])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([RTCPExpectation].self) {
                self = .rtcp(list)
            } else {
                self = .rtp(try container.decode(RTPExpectation.self))
            }
        }
    }

    struct ExtensionValue<Value: Decodable>: Decodable {
        let id: UInt8
        let value: Value
    }

    struct AudioLevel: Decodable {
        let id: UInt8
        let voice: Bool
        let level: UInt8
    }

    struct RTPExtensions: Decodable {
        let audioLevel: AudioLevel?
        let mid: ExtensionValue<String>?
        let rtpStreamId: ExtensionValue<String>?
        let absSendTime: ExtensionValue<UInt32>?
        let transportSequenceNumber: ExtensionValue<UInt16>?
    }

    struct RTPExpectation: Decodable {
        let payloadType: UInt8
        let marker: Bool
        let sequenceNumber: UInt16
        let timestamp: UInt32
        let ssrc: UInt32
        let csrcs: [UInt32]
        let payloadLength: Int
        let paddingLength: Int
        let extensions: RTPExtensions
        let rtxOriginalSequenceNumber: UInt16?
    }

    struct Report: Decodable, Equatable {
        let ssrc: UInt32
        let fractionLost: UInt8
        let cumulativeLost: Int32
        let extendedHighestSequenceNumber: UInt32
        let jitter: UInt32
        let lastSenderReport: UInt32
        let delaySinceLastSenderReport: UInt32

        var value: ReceptionReport {
            ReceptionReport(
                ssrc: ssrc, fractionLost: fractionLost, cumulativeLost: cumulativeLost,
                extendedHighestSequenceNumber: extendedHighestSequenceNumber, jitter: jitter,
                lastSenderReport: lastSenderReport, delaySinceLastSenderReport: delaySinceLastSenderReport)
        }
    }

    struct Chunk: Decodable {
        let ssrc: UInt32
        let cname: String
    }

    struct FIREntry: Decodable {
        let ssrc: UInt32
        let sequenceNumber: UInt8
    }

    struct RTCPExpectation: Decodable {
        let type: String
        let ssrc: UInt32?
        let senderSSRC: UInt32?
        let mediaSSRC: UInt32?
        let ntpTimestamp: UInt64?
        let rtpTimestamp: UInt32?
        let packetCount: UInt32?
        let octetCount: UInt32?
        let reports: [Report]?
        let chunks: [Chunk]?
        let sources: [UInt32]?
        let lost: [UInt16]?
        let entries: [FIREntry]?
        let bitrate: UInt64?
        let ssrcs: [UInt32]?
    }

    static func aiortcManifest() throws -> [Entry] {
        let data = try Data(contentsOf: root.appendingPathComponent("aiortc/manifest.json"))
        return try JSONDecoder().decode([Entry].self, from: data)
    }
}
