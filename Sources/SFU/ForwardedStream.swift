import RTP
import SDP

/// One subscriber's numbering of one forwarded track, as plain values: what `TrackForwarder`
/// does to each packet's bytes, and what the per-packet benchmark runs.
///
/// Per packet (RFC 3550 5.1, RFC 7667 3.7 on RTP translators/SFUs): SSRC and payload type become
/// the ones the subscriber's SDP declares; sequence numbers and timestamps are offset so that
/// the subscriber sees one continuous stream even when the source changes (a simulcast switch, a
/// re-published track) or pauses; header extension ids are mapped from the publisher's numbering
/// to the subscriber's (RFC 8285), and extensions the subscriber did not negotiate are renamed
/// to an id it does not use, which receivers ignore (RFC 8285 4.1.1). For VP8 the picture id and
/// TL0PICIDX (RFC 7741 4.2) continue across a source change too: each simulcast layer numbers
/// its pictures on its own, and a jump tells the decoder that pictures were lost.
///
/// No allocation per packet: `extensionMap` is built once, in `configure`.
public struct ForwardedStream {
    /// The subscriber's SSRC and payload type for this track.
    public let ssrc: UInt32
    public private(set) var payloadType: UInt8 = 0
    /// VP8 gets picture id continuity; nil for other codecs and audio.
    public let codec: VideoKeyframe.Codec?
    public let clockRate: UInt32
    /// Publisher extension id (1-255) to subscriber id.
    private var extensionMap = [UInt8](repeating: 14, count: 256)
    private var unusedExtensionID: UInt8 = 14
    /// The subscriber's id for the transport-wide sequence number, 0 if not negotiated: the
    /// publisher's value is replaced by the subscriber transport's own numbering, which its
    /// congestion feedback refers to.
    public private(set) var transportWideID: UInt8 = 0

    // Continuity across source changes (RFC 7667 3.7).
    public private(set) var boundSourceSSRC: UInt32 = 0
    /// The source's sequence number at the bind: older packets of that source came before the
    /// switch to it, and their numbers in our numbering belong to the previous source.
    private var boundFirstSequence: UInt16 = 0
    private var packetsSinceBind = 0
    public private(set) var sequenceOffset: UInt16 = 0
    public private(set) var timestampOffset: UInt32 = 0
    public private(set) var hasSent = false
    public private(set) var lastSequence: UInt16
    public private(set) var lastTimestamp: UInt32
    public private(set) var lastSentMicroseconds: Int64 = 0

    // VP8 picture numbering (RFC 7741 4.2), in our numbering: the offsets are set at the first
    // packet with a picture id after a bind.
    private var rebasePictures = false
    private var pictureIDOffset: UInt16 = 0
    private var tl0Offset: UInt8 = 0
    public private(set) var lastPictureID: UInt16?
    public private(set) var lastTL0PictureIndex: UInt8?

    public init(ssrc: UInt32, codec: VideoKeyframe.Codec?, clockRate: UInt32,
                firstSequence: UInt16 = .random(in: 0...0x7FFF), firstTimestamp: UInt32 = .random(in: 0...0x7FFF_FFFF)) {
        self.ssrc = ssrc
        self.codec = codec
        self.clockRate = clockRate
        lastSequence = firstSequence &- 1
        lastTimestamp = firstTimestamp
    }

    /// Takes the subscriber's payload type and extension ids; `publisherExtensions` is the
    /// publisher's id to URI, `subscriberExtensions` the subscriber's URI to id.
    public mutating func configure(payloadType: UInt8, publisherExtensions: [UInt8: String], subscriberExtensions: [String: UInt8]) {
        self.payloadType = payloadType
        let used = Set(subscriberExtensions.values)
        unusedExtensionID = (1...14).reversed().first { !used.contains(UInt8($0)) }.map(UInt8.init) ?? 14
        for id in 0..<256 { extensionMap[id] = unusedExtensionID }
        for (publisherID, uri) in publisherExtensions {
            if let subscriberID = subscriberExtensions[uri] { extensionMap[Int(publisherID)] = subscriberID }
        }
        transportWideID = subscriberExtensions[HeaderExtensionURI.transportWideCC] ?? 0
    }

    /// What `rewrite` did with a packet.
    public struct Rewritten: Equatable, Sendable {
        /// The packet's sequence number in our numbering.
        public var sequence: UInt16
        /// It started a new source (the first packet, or another SSRC): a video subscriber
        /// needs a keyframe when the packet is not one.
        public var rebound: Bool
        /// It carried a transport-wide sequence number, replaced by `transportWide`.
        public var stampedTransportWide: Bool
    }

    /// Copies `packet` into `buffer` (at least the packet's length) in the subscriber's
    /// numbering, `transportWide` in place of the publisher's transport-wide sequence number.
    /// nil: the packet came before the bound source's first one and is dropped, or does not fit.
    public mutating func rewrite(_ packet: RTPPacket, into buffer: UnsafeMutableRawBufferPointer, transportWide: UInt16,
                                 nowMicroseconds: Int64) -> Rewritten? {
        let length = packet.bytes.count
        guard length <= buffer.count else { return nil }
        var rebound = false
        if packet.ssrc != boundSourceSSRC || !hasSent {
            bind(to: packet, nowMicroseconds: nowMicroseconds)
            rebound = true
        } else if packetsSinceBind < Self.bindWindow {
            packetsSinceBind += 1
            // From before the bind: its number would land among the previous source's.
            if Self.precedesBind(packet.sequenceNumber, boundFirst: boundFirstSequence) { return nil }
        }
        buffer.baseAddress!.copyMemory(from: packet.bytes.baseAddress!, byteCount: length)
        let sequence = packet.sequenceNumber &+ sequenceOffset
        let timestamp = packet.timestamp &+ timestampOffset
        let stamped = writeHeader(buffer, packet: packet, sequence: sequence, timestamp: timestamp, transportWide: transportWide)
        if codec == .vp8 { renumberPicture(packet, in: buffer) }
        if Self.isNewer(sequence, than: lastSequence) || !hasSent {
            lastSequence = sequence
            lastTimestamp = timestamp
            lastSentMicroseconds = nowMicroseconds
        }
        hasSent = true
        return Rewritten(sequence: sequence, rebound: rebound, stampedTransportWide: stamped)
    }

    /// The bound source's sequence number for our `sequence` (a NACK's, to find the packet in
    /// the publisher's cache).
    public func sourceSequence(of sequence: UInt16) -> UInt16 { sequence &- sequenceOffset }

    /// Copies `original`, a packet of the bound source sent before (from the cache, for a NACK
    /// or a probe), into `buffer` numbered as it was sent, with `transportWide` as this send's
    /// transport-wide number. Returns whether it carried one; nil for a packet of another
    /// source or one that does not fit.
    public func rewriteResend(_ original: RTPPacket, into buffer: UnsafeMutableRawBufferPointer, transportWide: UInt16) -> Bool? {
        guard original.ssrc == boundSourceSSRC, hasSent, original.bytes.count <= buffer.count else { return nil }
        buffer.baseAddress!.copyMemory(from: original.bytes.baseAddress!, byteCount: original.bytes.count)
        let stamped = writeHeader(buffer, packet: original, sequence: original.sequenceNumber &+ sequenceOffset,
                                  timestamp: original.timestamp &+ timestampOffset, transportWide: transportWide)
        if codec == .vp8, !rebasePictures { writePicture(original, in: buffer) }
        return stamped
    }

    /// A new source (first packet, or the track re-published with another SSRC, or another
    /// simulcast layer): continue our numbering where it stopped; the timestamp advances by
    /// the wall time that passed.
    private mutating func bind(to packet: RTPPacket, nowMicroseconds: Int64) {
        boundSourceSSRC = packet.ssrc
        boundFirstSequence = packet.sequenceNumber
        packetsSinceBind = 0
        let nextSequence = lastSequence &+ 1
        var nextTimestamp = lastTimestamp
        if hasSent {
            nextTimestamp &+= RTPClock.ticks(microseconds: max(0, nowMicroseconds &- lastSentMicroseconds), clockRate: clockRate)
        }
        sequenceOffset = nextSequence &- packet.sequenceNumber
        timestampOffset = nextTimestamp &- packet.timestamp
        rebasePictures = true
    }

    /// RFC 7741 4.2: the source's picture id and TL0PICIDX moved into our numbering, which goes
    /// on from the last picture forwarded (the first picture of a new source follows it).
    private mutating func renumberPicture(_ packet: RTPPacket, in buffer: UnsafeMutableRawBufferPointer) {
        guard let descriptor = VP8PayloadDescriptor(packet.payload), let pictureID = descriptor.pictureID else { return }
        if rebasePictures {
            rebasePictures = false
            pictureIDOffset = lastPictureID.map { ($0 &+ 1 &- pictureID) & 0x7FFF } ?? 0
            if let index = descriptor.tl0PictureIndex, let last = lastTL0PictureIndex { tl0Offset = last &+ 1 &- index } else { tl0Offset = 0 }
        }
        let (id, index) = writePicture(packet, descriptor: descriptor, in: buffer)
        let mask: UInt16 = descriptor.pictureIDBits == 15 ? 0x7FFF : 0x7F
        if let last = lastPictureID {
            let ahead = (id &- last) & mask
            if ahead != 0, ahead <= mask / 2 { lastPictureID = id }
        } else {
            lastPictureID = id
        }
        if let index {
            if let last = lastTL0PictureIndex {
                let ahead = index &- last
                if ahead != 0, ahead < 0x80 { lastTL0PictureIndex = index }
            } else {
                lastTL0PictureIndex = index
            }
        }
    }

    @discardableResult
    private func writePicture(_ packet: RTPPacket, in buffer: UnsafeMutableRawBufferPointer) -> (UInt16, UInt8?)? {
        guard let descriptor = VP8PayloadDescriptor(packet.payload), descriptor.pictureID != nil else { return nil }
        return writePicture(packet, descriptor: descriptor, in: buffer)
    }

    /// Writes the picture id and TL0PICIDX in our numbering; returns them (the id cut to its
    /// field's width).
    private func writePicture(_ packet: RTPPacket, descriptor: VP8PayloadDescriptor,
                              in buffer: UnsafeMutableRawBufferPointer) -> (UInt16, UInt8?) {
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[packet.payloadRange])
        let mask: UInt16 = descriptor.pictureIDBits == 15 ? 0x7FFF : 0x7F
        let id = (descriptor.pictureID! &+ pictureIDOffset) & mask
        descriptor.setPictureID(id, in: payload)
        let index = descriptor.tl0PictureIndex.map { $0 &+ tl0Offset }
        if let index { descriptor.setTL0PictureIndex(index, in: payload) }
        return (id, index)
    }

    /// Sets payload type, sequence number, timestamp and SSRC, maps the extension ids, and
    /// stamps `transportWide`; returns true if the packet carried a transport-wide number.
    @inline(__always)
    private func writeHeader(_ buffer: UnsafeMutableRawBufferPointer, packet: RTPPacket, sequence: UInt16, timestamp: UInt32,
                             transportWide: UInt16) -> Bool {
        buffer[1] = (buffer[1] & 0x80) | (payloadType & 0x7F)
        buffer[2] = UInt8(sequence >> 8)
        buffer[3] = UInt8(truncatingIfNeeded: sequence)
        buffer[4] = UInt8(truncatingIfNeeded: timestamp >> 24)
        buffer[5] = UInt8(truncatingIfNeeded: timestamp >> 16)
        buffer[6] = UInt8(truncatingIfNeeded: timestamp >> 8)
        buffer[7] = UInt8(truncatingIfNeeded: timestamp)
        buffer[8] = UInt8(truncatingIfNeeded: ssrc >> 24)
        buffer[9] = UInt8(truncatingIfNeeded: ssrc >> 16)
        buffer[10] = UInt8(truncatingIfNeeded: ssrc >> 8)
        buffer[11] = UInt8(truncatingIfNeeded: ssrc)
        guard let extensions = packet.headerExtensions, let form = extensions.form else { return false }
        var stamped = false
        // Each element's id sits just before its value: in the high nibble of the byte before it
        // (one-byte form, RFC 8285 4.2), or in the byte two before it (two-byte form, 4.3).
        for element in extensions {
            let mapped = extensionMap[Int(element.id)]
            if mapped == transportWideID, transportWideID != 0, element.range.count == 2 {
                buffer[element.range.lowerBound] = UInt8(transportWide >> 8)
                buffer[element.range.lowerBound + 1] = UInt8(truncatingIfNeeded: transportWide)
                stamped = true
            }
            switch form {
            case .oneByte:
                let at = element.range.lowerBound - 1
                let id = mapped <= 14 ? mapped : unusedExtensionID
                buffer[at] = (id << 4) | (buffer[at] & 0x0F)
            case .twoByte:
                buffer[element.range.lowerBound - 2] = mapped
            }
        }
        return stamped
    }

    @inline(__always)
    static func isNewer(_ a: UInt16, than b: UInt16) -> Bool { a != b && a &- b < 0x8000 }

    /// Packets after a bind during which older packets of the new source are dropped; later the
    /// sequence space moves on (32 768 packets after the bind, half of it is "before" the bind
    /// point again, modulo 2^16, and dropping those froze a long call's video for minutes).
    static let bindWindow = 512

    /// True if `sequence` came before the bind's first packet `boundFirst`, within the window a
    /// late packet can be that old (1 to 1 023 behind).
    static func precedesBind(_ sequence: UInt16, boundFirst: UInt16) -> Bool {
        let behind = boundFirst &- sequence
        return behind != 0 && behind < 1024
    }
}
