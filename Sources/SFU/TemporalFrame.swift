import RTP

/// Which temporal layer a video frame belongs to and whether a subscriber that had none of that
/// layer can start on it, as the publisher's packet tells (`TemporalLayerTracker`): what
/// `ForwardedStream` decides by when it leaves temporal layers out.
public struct TemporalFrame: Sendable, Equatable {
    public enum Numbering: Sendable, Equatable {
        /// The VP8 payload descriptor's 15-bit picture id (RFC 7741 4.2), which the subscriber's
        /// decoder follows, so it is renumbered over the frames left out.
        case vp8PictureID
        /// The dependency descriptor's 16-bit frame number: receivers follow its references,
        /// not its continuity, so it goes out as it is.
        case dependencyDescriptor
    }

    public var numbering: Numbering
    /// The frame's number in the source (picture id or frame number).
    public var number: UInt16
    public var temporalLayer: UInt8
    /// It references only frames of lower temporal layers (VP8's Y bit; for the dependency
    /// descriptor, from its references): the layer can be added from this frame on.
    public var layerSync: Bool

    public init(numbering: Numbering, number: UInt16, temporalLayer: UInt8, layerSync: Bool) {
        self.numbering = numbering
        self.number = number
        self.temporalLayer = temporalLayer
        self.layerSync = layerSync
    }

    var modulusMask: UInt16 { numbering == .vp8PictureID ? 0x7FFF : 0xFFFF }

    /// From a VP8 payload descriptor with a 15-bit picture id and a TID; nil otherwise (7-bit
    /// ids wrap too fast to renumber safely: such streams are forwarded whole). A base-layer
    /// frame counts as a sync frame.
    public init?(vp8 descriptor: VP8PayloadDescriptor) {
        guard descriptor.pictureIDBits == 15, let id = descriptor.pictureID, let layer = descriptor.temporalLayer else { return nil }
        self.init(numbering: .vp8PictureID, number: id, temporalLayer: layer, layerSync: descriptor.layerSync || layer == 0)
    }
}

/// One published stream's temporal layers as its dependency descriptors describe them, as plain
/// values: the last template structure, and the temporal layer of its recent frames, to tell
/// whether a frame references only lower layers. Storage is allocated once.
public struct TemporalLayerTracker: Sendable {
    public private(set) var structure = DependencyStructure()
    private static let recentFrames = 256
    private var recentNumbers = [UInt16](repeating: 0, count: recentFrames)
    private var recentLayers = [UInt8](repeating: 0xFF, count: recentFrames)

    public init() {}

    /// The frame a packet with dependency descriptor `bytes` belongs to; nil when the descriptor
    /// does not parse or its layers are unknown (no structure yet).
    public mutating func frame(dependencyDescriptor bytes: UnsafeRawBufferPointer) -> TemporalFrame? {
        guard let descriptor = DependencyDescriptor(bytes, structure: &structure), let layer = descriptor.temporalLayer else { return nil }
        let number = descriptor.frameNumber
        let slot = Int(number) & (Self.recentFrames - 1)
        recentNumbers[slot] = number
        recentLayers[slot] = layer
        var sync = !descriptor.references.overflow
        for index in 0..<descriptor.references.count where sync {
            let referenced = number &- descriptor.references[index]
            let at = Int(referenced) & (Self.recentFrames - 1)
            // A frame not seen (lost, or from before the structure) could be of any layer.
            sync = recentNumbers[at] == referenced && recentLayers[at] < layer
        }
        return TemporalFrame(numbering: .dependencyDescriptor, number: number, temporalLayer: layer, layerSync: sync || layer == 0)
    }
}
