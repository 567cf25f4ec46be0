import Foundation
import RTP
import SDP
import Transport

/// What one load subscriber receives, measured on its worker: per stream (SSRC) the RFC 3550
/// reception statistics, and for the synthetic video the end-to-end latency of every packet
/// (send time in the payload against the wall clock on arrival). Receiver reports go back once a
/// second (RFC 3550 6.4.2), which keeps the SFU's media-silence watch satisfied and gives it the
/// subscriber's loss, jitter and round trip.
final class SubscriberReceiver {
    struct Stream {
        var kind: MediaKind
        var statistics: ReceiveStatistics
        /// The SFU's last sender report on this stream: NTP middle 32 bits and arrival time.
        var lastSenderReport: (middle: UInt32, arrivalNanoseconds: Int64)?
    }

    private(set) var streams: [UInt32: Stream] = [:]
    /// Payload type to kind, from the negotiated subscriber sessions.
    private var kinds: [UInt8: (kind: MediaKind, clockRate: UInt32)] = [:]
    /// End-to-end latency of each stamped packet, in microseconds (capacity reserved up front).
    private(set) var latencyMicroseconds: [UInt32] = []
    private(set) var firstMediaNanoseconds: Int64?
    private(set) var unknownPackets = 0
    private let reportSSRC = UInt32.random(in: 1...UInt32.max)
    private let reportBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)

    init(expectedPackets: Int) {
        latencyMicroseconds.reserveCapacity(min(expectedPackets, 5_000_000))
    }

    deinit { reportBuffer.deallocate() }

    func learn(_ session: NegotiatedSession) {
        for media in session.media where !media.rejected {
            for codec in media.codecs { kinds[codec.payloadType] = (media.kind, codec.clockRate) }
        }
    }

    func receiveRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
        guard let packet = try? RTPPacket(bytes) else {
            unknownPackets += 1
            return
        }
        let now = MediaWorker.monotonicNanoseconds()
        if firstMediaNanoseconds == nil { firstMediaNanoseconds = now }
        if streams[packet.ssrc] == nil {
            guard let kind = kinds[packet.payloadType] else {
                unknownPackets += 1
                return
            }
            streams[packet.ssrc] = Stream(kind: kind.kind, statistics: ReceiveStatistics(clockRate: kind.clockRate))
        }
        streams[packet.ssrc]!.statistics.update(sequence: packet.sequenceNumber, timestamp: packet.timestamp,
                                                payloadBytes: packet.payload.count, arrivalMicroseconds: now / 1000)
        if let sent = SyntheticVideoSource.sendTime(in: packet.payload) {
            let latency = (SyntheticVideoSource.wallClockNanoseconds() - sent) / 1000
            latencyMicroseconds.append(UInt32(clamping: max(0, latency)))
        }
    }

    func receiveRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        guard let compound = try? RTCPCompound(UnsafeRawBufferPointer(rebasing: buffer[0..<length])) else { return }
        let now = MediaWorker.monotonicNanoseconds()
        for packet in compound where packet.packetType == .senderReport {
            guard let report = try? SenderReport(packet), streams[report.ssrc] != nil else { continue }
            streams[report.ssrc]!.lastSenderReport = (report.ntpTime.middle32, now)
        }
    }

    /// One receiver report for every stream (at most 31, RFC 3550 6.4.2).
    func sendReport(on transport: PeerTransport) {
        guard !streams.isEmpty, transport.srtpProfile != nil else { return }
        let now = MediaWorker.monotonicNanoseconds()
        var blocks: [ReceptionReport] = []
        for ssrc in streams.keys.sorted().prefix(31) {
            var stream = streams[ssrc]!
            var lsr: UInt32 = 0, dlsr: UInt32 = 0
            if let sr = stream.lastSenderReport {
                lsr = sr.middle
                dlsr = NTPTime.shortTime(microseconds: (now &- sr.arrivalNanoseconds) / 1000)
            }
            blocks.append(ReceptionReport(
                ssrc: ssrc, fractionLost: stream.statistics.takeFractionLost(), cumulativeLost: stream.statistics.cumulativeLost,
                extendedHighestSequenceNumber: stream.statistics.extendedHighestSequence, jitter: stream.statistics.jitter,
                lastSenderReport: lsr, delaySinceLastSenderReport: dlsr))
            streams[ssrc] = stream
        }
        guard let length = try? ReceiverReport.write(ssrc: reportSSRC, reports: blocks, into: reportBuffer) else { return }
        transport.sendRTCP(reportBuffer, length: length)
    }

    /// Totals per kind.
    func totals(of kind: MediaKind) -> (packets: Int, bytes: Int, expected: Int, lost: Int, jitterSeconds: Double) {
        var packets = 0, bytes = 0, expected = 0, lost = 0
        var jitter = 0.0
        for stream in streams.values where stream.kind == kind {
            packets += stream.statistics.packetsReceived
            bytes += stream.statistics.bytesReceived
            expected += Int(stream.statistics.expected)
            lost += max(0, Int(stream.statistics.cumulativeLost))
            jitter = max(jitter, stream.statistics.jitterSeconds)
        }
        return (packets, bytes, expected, lost, jitter)
    }
}
