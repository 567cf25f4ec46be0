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
    /// Redundant audio (RFC 2198): the publisher's RED and primary payload types, and the
    /// subscriber's RED payload type. A RED packet goes out as RED when the subscriber took it,
    /// else as its primary block alone.
    public private(set) var publisherRED: UInt8?
    public private(set) var publisherPrimary: UInt8 = 0
    public private(set) var subscriberRED: UInt8?
    /// RED packets go out as their primary block even to a subscriber that took RED: its link
    /// cannot carry the redundancy (`SubscriberConnection.chooseLayers`).
    public var stripsRedundancy = false
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

    // Temporal layers (`ScalableFrame`: the dependency descriptor, or VP8's TID and Y, RFC 7741
    // 4.2): frames above `temporalLimit` are not forwarded, and our sequence numbers (and VP8
    // picture ids, when they identify the frames) close up over them (`SequenceRenumbering`).
    /// The highest temporal layer wanted (`UInt8.max`: all of them).
    public private(set) var temporalTarget = UInt8.max
    /// The highest temporal layer forwarded now: it moves down to the target at the next
    /// picture, and up one layer at a time at a layer-sync picture of that layer (Y: it
    /// references only the base layer, so a receiver that had none of the layers between can
    /// decode it; libwebrtc's reference finder holds any other upper-layer picture).
    public private(set) var temporalLimit = UInt8.max
    /// Packets left out for the temporal limit (or the spatial one).
    public private(set) var temporalDrops = 0
    // Spatial layers (SVC, `ScalableFrame.spatialLayer`): frames above `spatialLimit` are left
    // out as frames above the temporal limit are, and the last packet of each frame of the
    // highest layer kept then carries the marker bit, which the publisher put at the end of the
    // whole picture (RFC 3550 5.1; mediasoup's SVC consumer does the same).
    /// The highest spatial layer wanted (`UInt8.max`: all of them).
    public private(set) var spatialTarget = UInt8.max
    /// The highest spatial layer forwarded now: down to the target at the next picture, up to
    /// it at a picture whose base frame references nothing (a keyframe: `TrackForwarder.setSpatialTarget`
    /// asks for one). Going up only at a picture's first frame keeps the marker bit right: a
    /// picture either ends at the old limit's frame or goes up from its start.
    public private(set) var spatialLimit = UInt8.max
    /// Frames left out for the spatial limit.
    public private(set) var spatialDrops = 0
    private var sequences: SequenceRenumbering?
    /// The frames' decisions, by their number in the source (`ScalableFrame`): for VP8 picture
    /// ids, our picture ids too.
    private var frames: SequenceRenumbering?
    private var frameNumbering: ScalableFrame.Numbering?
    /// The frame of the newest packet, to tell whether a gap before a dropped frame's packet
    /// lies within that frame.
    private var frameOfNewestPacket: UInt16?

    public init(ssrc: UInt32, codec: VideoKeyframe.Codec?, clockRate: UInt32,
                firstSequence: UInt16 = .random(in: 0...0x7FFF), firstTimestamp: UInt32 = .random(in: 0...0x7FFF_FFFF)) {
        self.ssrc = ssrc
        self.codec = codec
        self.clockRate = clockRate
        lastSequence = firstSequence &- 1
        lastTimestamp = firstTimestamp
        if codec != nil {
            sequences = SequenceRenumbering(modulusMask: 0xFFFF, window: Self.bindWindow)
            frames = SequenceRenumbering(modulusMask: 0xFFFF, window: 128)
        }
    }

    /// The highest temporal layer to forward (`UInt8.max`: all); takes effect at the next
    /// frame going down, at a layer-sync frame going up.
    public mutating func setTemporalTarget(_ layer: UInt8) {
        temporalTarget = layer
    }

    /// The highest spatial layer to forward (`UInt8.max`: all); takes effect at the next
    /// picture going down, at a keyframe picture going up.
    public mutating func setSpatialTarget(_ layer: UInt8) {
        spatialTarget = layer
    }

    /// Takes the subscriber's payload type and extension ids; `publisherExtensions` is the
    /// publisher's id to URI, `subscriberExtensions` the subscriber's URI to id.
    public mutating func configure(payloadType: UInt8, publisherExtensions: [UInt8: String], subscriberExtensions: [String: UInt8],
                                   redundancy: (publisherRED: UInt8, publisherPrimary: UInt8, subscriberRED: UInt8?)? = nil) {
        self.payloadType = payloadType
        publisherRED = redundancy?.publisherRED
        publisherPrimary = redundancy?.publisherPrimary ?? 0
        subscriberRED = redundancy?.subscriberRED
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
        /// The bytes written: the packet's length, or less for a RED packet reduced to its
        /// primary block.
        public var length: Int
    }

    /// Copies `packet` into `buffer` (at least the packet's length) in the subscriber's
    /// numbering, `transportWide` in place of the publisher's transport-wide sequence number.
    /// `frame`: the temporal layer of the packet's frame, when known. nil: the packet came
    /// before the bound source's first one, or its frame is above the temporal limit, or it
    /// does not fit; it is dropped.
    public mutating func rewrite(_ packet: RTPPacket, frame: ScalableFrame? = nil, into buffer: UnsafeMutableRawBufferPointer,
                                 transportWide: UInt16, nowMicroseconds: Int64) -> Rewritten? {
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
        let sequence: UInt16
        var picture: (descriptor: VP8PayloadDescriptor, id: UInt16)?
        if sequences != nil {
            guard let numbered = number(packet, frame: frame) else { return nil }
            sequence = numbered.sequence
            picture = numbered.picture
        } else {
            sequence = packet.sequenceNumber &+ sequenceOffset
        }
        let timestamp = packet.timestamp &+ timestampOffset
        var written = length
        var outgoingPayloadType = payloadType
        if let publisherRED, packet.payloadType == publisherRED {
            guard let red = AudioRedundancy(packet.payload) else { return nil }
            if let subscriberRED, !stripsRedundancy {
                buffer.baseAddress!.copyMemory(from: packet.bytes.baseAddress!, byteCount: length)
                outgoingPayloadType = subscriberRED
                red.replaceBlockPayloadType(publisherPrimary, with: payloadType,
                                            in: UnsafeMutableRawBufferPointer(rebasing: buffer[packet.payloadRange]))
            } else {
                // The primary block alone, as a packet of the codec (RFC 2198 doesn't change the
                // header; padding is not carried over).
                let primary = packet.payload.count - red.primaryOffset
                guard primary > 0 else { return nil }
                buffer.baseAddress!.copyMemory(from: packet.bytes.baseAddress!, byteCount: packet.headerLength)
                (buffer.baseAddress! + packet.headerLength).copyMemory(from: packet.payload.baseAddress! + red.primaryOffset, byteCount: primary)
                buffer[0] &= ~0x20
                written = packet.headerLength + primary
            }
        } else {
            buffer.baseAddress!.copyMemory(from: packet.bytes.baseAddress!, byteCount: length)
        }
        let stamped = writeHeader(buffer, packet: packet, payloadType: outgoingPayloadType, sequence: sequence, timestamp: timestamp,
                                  transportWide: transportWide)
        if let picture { writePicture(packet, descriptor: picture.descriptor, id: picture.id, in: buffer) }
        // The end of a frame of the highest spatial layer kept ends the picture.
        if let frame, frame.endOfFrame, frame.spatialLayer == spatialLimit, frame.numbering == .dependencyDescriptor { buffer[1] |= 0x80 }
        if Self.isNewer(sequence, than: lastSequence) || !hasSent {
            lastSequence = sequence
            lastTimestamp = timestamp
            lastSentMicroseconds = nowMicroseconds
        }
        hasSent = true
        return Rewritten(sequence: sequence, rebound: rebound, stampedTransportWide: stamped, length: written)
    }

    /// The bound source's sequence number for our `sequence` (a NACK's, to find the packet in
    /// the publisher's cache); nil when ours has none (a hole left by a late packet of a dropped
    /// picture) or is too old to tell since temporal layers were dropped.
    public func sourceSequence(of sequence: UInt16) -> UInt16? {
        if let sequences, sequences.drops > 0 { return sequences.source(of: sequence) }
        return sequence &- sequenceOffset
    }

    /// Copies `original`, a packet of the bound source sent before as our `sequence` (from the
    /// cache, for a NACK or a probe), into `buffer` numbered as it was sent, with
    /// `transportWide` as this send's transport-wide number. Returns whether it carried one; nil
    /// for a packet of another source, one that does not fit, or one of a picture not forwarded.
    public func rewriteResend(_ original: RTPPacket, as sequence: UInt16, into buffer: UnsafeMutableRawBufferPointer,
                              transportWide: UInt16) -> Bool? {
        guard original.ssrc == boundSourceSSRC, hasSent, original.bytes.count <= buffer.count else { return nil }
        var picture: (descriptor: VP8PayloadDescriptor, id: UInt16)?
        if codec == .vp8, let descriptor = VP8PayloadDescriptor(original.payload), let id = descriptor.pictureID {
            guard !rebasePictures else { return nil }
            if let frames, frameNumbering == .vp8PictureID, descriptor.pictureIDBits == 15, frames.drops > 0 {
                guard case .kept(let ours) = frames.late(id) else { return nil }
                picture = (descriptor, ours)
            } else {
                picture = (descriptor, shifted(id, descriptor))
            }
        }
        buffer.baseAddress!.copyMemory(from: original.bytes.baseAddress!, byteCount: original.bytes.count)
        let stamped = writeHeader(buffer, packet: original, payloadType: payloadType, sequence: sequence,
                                  timestamp: original.timestamp &+ timestampOffset, transportWide: transportWide)
        if let picture { writePicture(original, descriptor: picture.descriptor, id: picture.id, in: buffer) }
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
        sequences?.reset(offset: sequenceOffset)
        frameNumbering = nil
        frameOfNewestPacket = nil
    }

    /// Our sequence number and VP8 picture id for a video packet, or nil when it is not
    /// forwarded: a frame above the temporal limit, or a late packet whose place is gone.
    private mutating func number(_ packet: RTPPacket, frame: ScalableFrame?) -> (sequence: UInt16, picture: (descriptor: VP8PayloadDescriptor, id: UInt16)?)? {
        let descriptor = codec == .vp8 ? VP8PayloadDescriptor(packet.payload) : nil
        let source = packet.sequenceNumber
        if let descriptor, descriptor.pictureID != nil, rebasePictures { rebase(descriptor) }
        if let frame, frameNumbering != frame.numbering {
            // The first frame of a source: its numbers start the frames' record; picture ids
            // continue ours.
            frameNumbering = frame.numbering
            frames!.reset(offset: frame.numbering == .vp8PictureID ? pictureIDOffset : 0, modulusMask: frame.modulusMask)
        }
        let renumbersPictures = frame?.numbering == .vp8PictureID
        var picture: (descriptor: VP8PayloadDescriptor, id: UInt16)?
        if sequences!.isNewest(source) {
            var dropped = false
            if let frame {
                if frames!.isNewest(frame.number) {
                    // In a stream of spatial layers, a picture's upper layer frames follow its
                    // base frame: the limits move only at a base frame, so that every picture
                    // goes out whole up to one layer, its last frame marked (a picture cut
                    // after an unmarked frame held a receiver's decoder for 3 s).
                    if frame.spatialLayer == 0 {
                        moveTemporalLimit(at: frame.temporalLayer, layerSync: frame.layerSync)
                        moveSpatialLimit(at: frame)
                    }
                    dropped = frame.temporalLayer > temporalLimit || frame.spatialLayer > spatialLimit
                    if frame.spatialLayer > spatialLimit { spatialDrops += 1 }
                    let ours = frames!.advance(to: frame.number, dropped: dropped)
                    if renumbersPictures, let descriptor, let ours {
                        picture = (descriptor, ours)
                        lastPictureID = ours
                    }
                } else {
                    switch frames!.late(frame.number) {
                    case .kept(let ours): if renumbersPictures, let descriptor { picture = (descriptor, ours) }
                    case .dropped: dropped = true
                    case .unknown: return nil
                    }
                }
            }
            if !renumbersPictures, let descriptor, let id = descriptor.pictureID {
                picture = (descriptor, shifted(id, descriptor))
                notePicture(picture!.id, bits: descriptor.pictureIDBits)
            }
            let withinFrame = dropped && frame != nil && frame?.number == frameOfNewestPacket
            frameOfNewestPacket = frame?.number
            guard let sequence = sequences!.advance(to: source, dropped: dropped, skippedDropped: withinFrame) else {
                temporalDrops += 1
                return nil
            }
            if let picture { noteTL0(picture.descriptor) }
            return (sequence, picture)
        }
        // Late, repeated, or another packet of the newest frame.
        let sequence: UInt16
        switch sequences!.late(source) {
        case .kept(let ours): sequence = ours
        case .dropped:
            temporalDrops += 1
            return nil
        case .unknown:
            guard sequences!.drops == 0 else { return nil }
            sequence = source &+ sequenceOffset
        }
        if let frame, frames!.drops > 0 {
            guard case .kept(let ours) = frames!.late(frame.number) else {
                // A packet of a frame not forwarded, in a place kept for it: ours has a hole.
                sequences!.dropLate(source)
                temporalDrops += 1
                return nil
            }
            if renumbersPictures, let descriptor { picture = (descriptor, ours) }
        }
        if picture == nil, let descriptor, let id = descriptor.pictureID, !rebasePictures { picture = (descriptor, shifted(id, descriptor)) }
        return (sequence, picture)
    }

    /// RFC 7741 4.2: the first picture of a new source follows the last one forwarded.
    private mutating func rebase(_ descriptor: VP8PayloadDescriptor) {
        guard let id = descriptor.pictureID else { return }
        rebasePictures = false
        pictureIDOffset = lastPictureID.map { ($0 &+ 1 &- id) & 0x7FFF } ?? 0
        if let index = descriptor.tl0PictureIndex, let last = lastTL0PictureIndex { tl0Offset = last &+ 1 &- index } else { tl0Offset = 0 }
    }

    /// Moves the temporal limit at the start of a new frame of `layer`.
    private mutating func moveTemporalLimit(at layer: UInt8, layerSync: Bool) {
        if temporalTarget < temporalLimit {
            temporalLimit = temporalTarget
        } else if temporalLimit < temporalTarget, layer == temporalLimit + 1, layerSync {
            temporalLimit = layer
        }
    }

    /// Moves the spatial limit at the start of a new `frame`.
    private mutating func moveSpatialLimit(at frame: ScalableFrame) {
        if spatialTarget < spatialLimit {
            spatialLimit = spatialTarget
        } else if spatialLimit < spatialTarget, frame.spatialLayer == 0, frame.independent {
            spatialLimit = spatialTarget
        }
    }

    /// A picture id moved by the offset of the bind, cut to its field's width.
    private func shifted(_ id: UInt16, _ descriptor: VP8PayloadDescriptor) -> UInt16 {
        (id &+ pictureIDOffset) & (descriptor.pictureIDBits == 15 ? 0x7FFF : 0x7F)
    }

    /// The last picture id forwarded, for a stream whose picture ids are only shifted (not
    /// renumbered by `frames`).
    private mutating func notePicture(_ id: UInt16, bits: Int) {
        let mask: UInt16 = bits == 15 ? 0x7FFF : 0x7F
        if let last = lastPictureID {
            let ahead = (id &- last) & mask
            if ahead != 0, ahead <= mask / 2 { lastPictureID = id }
        } else {
            lastPictureID = id
        }
    }

    private mutating func noteTL0(_ descriptor: VP8PayloadDescriptor) {
        guard let index = descriptor.tl0PictureIndex.map({ $0 &+ tl0Offset }) else { return }
        if let last = lastTL0PictureIndex {
            let ahead = index &- last
            if ahead != 0, ahead < 0x80 { lastTL0PictureIndex = index }
        } else {
            lastTL0PictureIndex = index
        }
    }

    /// Writes our picture id `id` (cut to the field's width) and TL0PICIDX.
    private func writePicture(_ packet: RTPPacket, descriptor: VP8PayloadDescriptor, id: UInt16, in buffer: UnsafeMutableRawBufferPointer) {
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[packet.payloadRange])
        descriptor.setPictureID(id, in: payload)
        if let index = descriptor.tl0PictureIndex { descriptor.setTL0PictureIndex(index &+ tl0Offset, in: payload) }
    }

    /// Sets payload type, sequence number, timestamp and SSRC, maps the extension ids, and
    /// stamps `transportWide`; returns true if the packet carried a transport-wide number.
    @inline(__always)
    private func writeHeader(_ buffer: UnsafeMutableRawBufferPointer, packet: RTPPacket, payloadType: UInt8, sequence: UInt16,
                             timestamp: UInt32, transportWide: UInt16) -> Bool {
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
