import Foundation
import RTP
import Transport

/// Video-shaped RTP at a chosen bitrate, frame rate and keyframe interval, without an encoder:
/// frames of the sizes a real encoder's would have on average (a keyframe four times an average
/// frame), cut into packets of at most `maximumPayload` bytes, the last with the marker bit, on
/// the 90 kHz clock (RFC 7741), paced as a browser paces them (VideoPacer). Each packet's payload
/// carries, after a one-byte VP8 payload descriptor (S bit on a frame's first packet), the magic
/// "SFUL", the send time in wall-clock nanoseconds and the frame number: what a receiving load
/// participant measures latency with.
final class SyntheticVideoSource {
    static let magic: [UInt8] = Array("SFUL".utf8)
    /// Descriptor, magic, send time, frame number.
    static let stampLength = 1 + 4 + 8 + 4
    static let maximumPayload = 1100

    private let payloadType: UInt8
    private let ssrc: UInt32
    private let framesPerSecond: Int
    private let framesPerKeyframe: Int
    private let keyframeBytes: Int
    private let deltaFrameBytes: Int
    private let frameTimer: WorkerTimer
    private let pacerTimer: WorkerTimer
    private var pacer: VideoPacer
    private weak var transport: PeerTransport?
    private let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
    private var sequenceNumber = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private var frameNumber: UInt32 = 0
    private var keyframeRequested = true
    private(set) var packetsSent = 0
    private(set) var keyframesSent = 0

    /// `pacingFactor`: the pacing rate as a multiple of `bitsPerSecond` (libwebrtc's 2.5), 0 to
    /// send every frame at once (VideoPacer).
    init(payloadType: UInt8, ssrc: UInt32, bitsPerSecond: Int, framesPerSecond: Int, keyframeIntervalSeconds: Double,
         pacingFactor: Double = 2.5, worker: MediaWorker) {
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.framesPerSecond = max(1, framesPerSecond)
        framesPerKeyframe = max(1, Int((keyframeIntervalSeconds * Double(self.framesPerSecond)).rounded()))
        let average = max(Self.stampLength, bitsPerSecond / 8 / self.framesPerSecond)
        // A group of pictures keeps the average: one keyframe of 4 averages, the rest smaller.
        if framesPerKeyframe > 4 {
            keyframeBytes = 4 * average
            deltaFrameBytes = max(Self.stampLength, average * (framesPerKeyframe - 4) / (framesPerKeyframe - 1))
        } else {
            keyframeBytes = average
            deltaFrameBytes = average
        }
        pacer = VideoPacer(bitsPerSecond: bitsPerSecond, factor: pacingFactor, maximumPayload: Self.maximumPayload,
                           minimumPayload: Self.stampLength)
        frameTimer = WorkerTimer(worker: worker)
        pacerTimer = WorkerTimer(worker: worker)
        packet.initializeMemory(as: UInt8.self, repeating: 0x5A)
    }

    deinit { packet.deallocate() }

    /// Starts capturing at a random phase within one frame interval: independent publishers'
    /// frames do not arrive at the SFU in step, and a load tool whose publishers all fired on
    /// the same tick would measure its own synchronisation, not the server.
    func start(on transport: PeerTransport) {
        self.transport = transport
        let interval = max(1, 1000 / framesPerSecond)
        frameTimer.schedule(after: Int.random(in: 0..<interval)) { [unowned self] in
            captureFrame()
            frameTimer.schedule(after: interval, repeats: true) { [unowned self] in captureFrame() }
        }
        if pacer.bytesPerTick > 0 {
            pacerTimer.schedule(after: VideoPacer.tickMilliseconds, repeats: true) { [unowned self] in releasePackets() }
        }
    }

    func stop() {
        frameTimer.cancel()
        pacerTimer.cancel()
    }

    /// A subscriber lost the picture (PLI, RFC 4585 6.3.1): the next frame is a keyframe.
    func requestKeyframe() { keyframeRequested = true }

    private func captureFrame() {
        let key = keyframeRequested || frameNumber % UInt32(framesPerKeyframe) == 0
        keyframeRequested = false
        if key { keyframesSent += 1 }
        pacer.enqueue(bytes: key ? keyframeBytes : deltaFrameBytes, timestamp: timestamp, frameNumber: frameNumber)
        timestamp &+= UInt32(90_000 / framesPerSecond)
        frameNumber &+= 1
        if pacer.bytesPerTick == 0 { releasePackets() }
    }

    private func releasePackets() {
        guard let transport, !transport.isClosed else { return stop() }
        pacer.release { next in send(next, on: transport) }
    }

    private func send(_ next: VideoPacer.Packet, on transport: PeerTransport) -> Bool {
        do {
            let writer = try RTPPacketWriter(
                into: packet,
                header: RTPHeaderFields(payloadType: payloadType, marker: next.isLast, sequenceNumber: sequenceNumber,
                                        timestamp: next.timestamp, ssrc: ssrc))
            let start = writer.count
            // The stamp is written in place, at the moment the packet leaves; the rest of the
            // payload is the filler already in the buffer (no allocation per packet).
            packet[start] = next.isFirst ? 0x10 : 0x00
            for (index, byte) in Self.magic.enumerated() { packet[start + 1 + index] = byte }
            packet.storeBytes(of: Self.wallClockNanoseconds().bigEndian, toByteOffset: start + 5, as: Int64.self)
            packet.storeBytes(of: next.frameNumber.bigEndian, toByteOffset: start + 13, as: UInt32.self)
            if transport.sendRTP(packet, length: start + next.payloadBytes) { packetsSent += 1 }
        } catch {
            stop()
            return false
        }
        sequenceNumber &+= 1
        return true
    }

    /// CLOCK_REALTIME in nanoseconds: sender and receiver may be different processes (or hosts
    /// with synchronised clocks).
    static func wallClockNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The send time in a payload this source wrote, nil for any other payload.
    static func sendTime(in payload: UnsafeRawBufferPointer) -> Int64? {
        guard payload.count >= stampLength, payload[1] == magic[0], payload[2] == magic[1], payload[3] == magic[2],
              payload[4] == magic[3] else { return nil }
        var value: UInt64 = 0
        for index in 5..<13 { value = value << 8 | UInt64(payload[index]) }
        return Int64(bitPattern: value)
    }
}
