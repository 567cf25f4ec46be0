import OpusCodec
import RTP
import Transport

/// Sends a continuous Opus tone as RTP, 20 ms per packet (RFC 7587: 48 kHz RTP clock, so the
/// timestamp advances 960 per packet), from a timer on the session's worker.
final class ToneSender {
    private let encoder: OpusEncoder
    private var generator: ToneGenerator
    private let payloadType: UInt8
    private let ssrc: UInt32
    private let timer: WorkerTimer
    private var pcm = [Int16](repeating: 0, count: OpusFormat.samplesPerChannelPerFrame)
    private var opus = [UInt8](repeating: 0, count: OpusFormat.recommendedPacketCapacity)
    private let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500 + 64, alignment: 16)
    private var sequenceNumber = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private(set) var packetsSent = 0

    init(frequency: Double, payloadType: UInt8, ssrc: UInt32, worker: MediaWorker) throws {
        encoder = try OpusEncoder(channels: .mono, application: .audio, bitrate: 48_000)
        generator = ToneGenerator(frequency: frequency, amplitude: 0.4)
        self.payloadType = payloadType
        self.ssrc = ssrc
        timer = WorkerTimer(worker: worker)
    }

    deinit { packet.deallocate() }

    func start(on transport: PeerTransport) {
        timer.schedule(after: 20, repeats: true) { [unowned self, unowned transport] in sendOne(on: transport) }
    }

    func stop() { timer.cancel() }

    private func sendOne(on transport: PeerTransport) {
        guard !transport.isClosed else { return stop() }
        pcm.withUnsafeMutableBufferPointer { generator.fill($0) }
        do {
            let opusLength = try pcm.withUnsafeBufferPointer { samples in
                try opus.withUnsafeMutableBytes { try encoder.encode(pcm: samples, into: $0) }
            }
            var writer = try RTPPacketWriter(
                into: packet,
                header: RTPHeaderFields(payloadType: payloadType, marker: packetsSent == 0, sequenceNumber: sequenceNumber,
                                        timestamp: timestamp, ssrc: ssrc))
            try opus.withUnsafeBytes { try writer.appendPayload(UnsafeRawBufferPointer(rebasing: $0[0..<opusLength])) }
            let length = writer.count
            if transport.sendRTP(packet, length: length) { packetsSent += 1 }
        } catch {
            stop()
        }
        sequenceNumber &+= 1
        timestamp &+= OpusFormat.rtpTimestampIncrement
    }
}
