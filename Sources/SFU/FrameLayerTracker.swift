import RTP

/// One published stream's layers as its dependency descriptors describe them, as plain values:
/// the last template structure (layers, references, each spatial layer's size), and the layers
/// of its recent frames, to tell whether a frame references only lower layers. Storage is
/// allocated once.
public struct FrameLayerTracker: Sendable {
    public private(set) var structure = DependencyStructure()
    private static let recentFrames = 256
    private var recentNumbers = [UInt16](repeating: 0, count: recentFrames)
    private var recentTemporal = [UInt8](repeating: 0xFF, count: recentFrames)
    private var recentSpatial = [UInt8](repeating: 0xFF, count: recentFrames)

    public init() {}

    /// The frame a packet with dependency descriptor `bytes` belongs to; nil when the descriptor
    /// does not parse or its layers are unknown (no structure yet).
    public mutating func frame(dependencyDescriptor bytes: UnsafeRawBufferPointer) -> ScalableFrame? {
        guard let descriptor = DependencyDescriptor(bytes, structure: &structure), let temporal = descriptor.temporalLayer,
              let spatial = descriptor.spatialLayer
        else { return nil }
        let number = descriptor.frameNumber
        let slot = Int(number) & (Self.recentFrames - 1)
        recentNumbers[slot] = number
        recentTemporal[slot] = temporal
        recentSpatial[slot] = spatial
        var temporalSync = !descriptor.references.overflow
        for index in 0..<descriptor.references.count where temporalSync {
            let referenced = number &- descriptor.references[index]
            let at = Int(referenced) & (Self.recentFrames - 1)
            // A frame not seen (lost, or from before the structure) could be of any layer.
            let known = recentNumbers[at] == referenced
            // Within its spatial layer, a reference to a lower temporal layer; across spatial
            // layers (inter-layer prediction), one to a lower spatial layer whatever its
            // temporal layer.
            temporalSync = known && (recentSpatial[at] < spatial || recentTemporal[at] < temporal)
        }
        return ScalableFrame(numbering: .dependencyDescriptor, number: number, temporalLayer: temporal,
                             layerSync: temporalSync || temporal == 0, spatialLayer: spatial,
                             independent: descriptor.references.count == 0 && !descriptor.references.overflow,
                             endOfFrame: descriptor.endOfFrame)
    }
}
