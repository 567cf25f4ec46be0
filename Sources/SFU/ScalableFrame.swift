import RTP

/// Which spatial and temporal layer a video frame belongs to, and whether a subscriber that had
/// none of that layer can start on it, as the publisher's packet tells (`FrameLayerTracker`, or
/// VP8's payload descriptor): what `ForwardedStream` decides by when it leaves layers out.
public struct ScalableFrame: Sendable, Equatable {
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
    /// Its spatial layer (SVC: one stream carrying several picture sizes, each layer's frames
    /// predicted from the layer below); 0 for a stream without.
    public var spatialLayer: UInt8
    /// It references no other frame (a keyframe's base layer): every spatial layer of its
    /// picture can start here, which is where a subscriber's spatial layers go up (in the
    /// `_KEY` modes Chromium sends, the upper layers are predicted from the lower ones only in
    /// keyframe pictures).
    public var independent: Bool
    /// The packet ends the frame (the dependency descriptor's end_of_frame): with the spatial
    /// layers above left out, it ends the picture the subscriber receives, and carries the
    /// marker bit (RFC 3550 5.1: the last packet of a picture).
    public var endOfFrame: Bool

    public init(numbering: Numbering, number: UInt16, temporalLayer: UInt8, layerSync: Bool, spatialLayer: UInt8 = 0,
                independent: Bool = false, endOfFrame: Bool = false) {
        self.numbering = numbering
        self.number = number
        self.temporalLayer = temporalLayer
        self.layerSync = layerSync
        self.spatialLayer = spatialLayer
        self.independent = independent
        self.endOfFrame = endOfFrame
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
