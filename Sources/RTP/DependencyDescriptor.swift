/// The dependency descriptor RTP header extension (AV1 RTP specification, appendix A;
/// https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension):
/// for each frame, its number, its spatial and temporal layer and the frames it references, so
/// that an SFU can leave layers out without reading the codec's payload. Chromium sends it with
/// VP8, VP9 and AV1 when it is negotiated, and then leaves the VP8 payload descriptor without
/// picture id or TID.
///
/// Most packets carry three bytes (start and end of frame, a template id, the frame number); the
/// template it names comes from the last template dependency structure, which the publisher
/// sends with each keyframe (`DependencyStructure`, filled in place: no allocation per packet).
/// Parsing needs no allocation; anything cut short or out of range is nil.
public struct DependencyDescriptor: Sendable, Equatable {
    public var startOfFrame: Bool
    public var endOfFrame: Bool
    public var templateID: UInt8
    public var frameNumber: UInt16
    /// The packet carries a new template structure (written into the one given to `init`).
    public var carriesStructure: Bool
    /// The frame's layers, from its template; nil when no structure is known or the template
    /// is not in it.
    public var spatialLayer: UInt8?
    public var temporalLayer: UInt8?
    /// The frames it references, as differences of frame numbers (template or custom).
    public var references: FrameReferences

    /// Up to `FrameReferences.capacity` frame number differences, stored inline.
    public struct FrameReferences: Sendable, Equatable {
        public static let capacity = 4
        public private(set) var count = 0
        private var values: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
        /// More differences than `capacity` were given (the frame is treated as referencing
        /// anything).
        public private(set) var overflow = false

        public init() {}

        public static func == (a: Self, b: Self) -> Bool {
            a.count == b.count && a.overflow == b.overflow && (0..<a.count).allSatisfy { a[$0] == b[$0] }
        }

        public subscript(index: Int) -> UInt16 {
            switch index {
            case 0: values.0
            case 1: values.1
            case 2: values.2
            default: values.3
            }
        }

        mutating func append(_ value: UInt16) {
            guard count < Self.capacity else {
                overflow = true
                return
            }
            switch count {
            case 0: values.0 = value
            case 1: values.1 = value
            case 2: values.2 = value
            default: values.3 = value
            }
            count += 1
        }
    }

    /// Parses `bytes` (the extension's value); a structure it carries replaces `structure`'s
    /// contents, which then give the frame's layers and references.
    public init?(_ bytes: UnsafeRawBufferPointer, structure: inout DependencyStructure) {
        guard bytes.count >= 3 else { return nil }
        var reader = BitReader(bytes)
        startOfFrame = reader.bit()
        endOfFrame = reader.bit()
        templateID = UInt8(reader.bits(6))
        frameNumber = UInt16(reader.bits(16))
        carriesStructure = false
        spatialLayer = nil
        temporalLayer = nil
        references = FrameReferences()
        var customDTIs = false
        var customFdiffs = false
        if bytes.count > 3 {
            carriesStructure = reader.bit()
            let activeTargetsPresent = reader.bit()
            customDTIs = reader.bit()
            customFdiffs = reader.bit()
            _ = reader.bit()  // custom chains: not needed
            if carriesStructure {
                guard structure.read(&reader) else {
                    structure.invalidate()
                    return nil
                }
            }
            if activeTargetsPresent {
                guard structure.isValid else { return nil }
                _ = reader.bits(structure.decodeTargetCount)
            }
        }
        if reader.overrun { return nil }
        // Without a structure (not received yet), or with a template it lacks, the frame's
        // layers are unknown.
        guard structure.isValid else { return }
        let index = (Int(templateID) &+ 64 &- Int(structure.templateIDOffset)) % 64
        guard index < structure.templateCount else { return }
        spatialLayer = structure.spatialLayers[index]
        temporalLayer = structure.temporalLayers[index]
        if customDTIs { _ = reader.bits(2 * structure.decodeTargetCount) }
        if customFdiffs {
            var size = reader.bits(2)
            while size != 0, !reader.overrun {
                references.append(UInt16(truncatingIfNeeded: reader.bits(4 * size) + 1))
                size = reader.bits(2)
            }
        } else {
            structure.references(of: index, into: &references)
        }
        if reader.overrun { return nil }
    }
}

/// The template dependency structure of a dependency descriptor (A.8.3): per template its
/// spatial and temporal layer and the frames it references. Storage for 64 templates is
/// allocated once; `read` fills it in place.
public struct DependencyStructure: Sendable {
    public static let maximumTemplates = 64
    public private(set) var isValid = false
    public private(set) var templateIDOffset: UInt8 = 0
    public private(set) var decodeTargetCount = 0
    public private(set) var templateCount = 0
    public private(set) var spatialLayers: [UInt8]
    public private(set) var temporalLayers: [UInt8]
    /// The most spatial layers a structure describes (spatial ids are 2 bits).
    public static let maximumSpatialLayers = 4
    /// How many spatial layers the templates name (the highest spatial id plus one).
    public private(set) var spatialLayerCount = 0
    /// Each spatial layer's picture size, when the structure gives them (render_resolutions):
    /// what a subscriber rendering at a given size needs.
    public private(set) var hasResolutions = false
    public private(set) var widths: [Int]
    public private(set) var heights: [Int]
    private var fdiffCounts: [UInt8]
    /// `FrameReferences.capacity` per template; a count above it marks overflow.
    private var fdiffs: [UInt16]

    public init() {
        spatialLayers = [UInt8](repeating: 0, count: Self.maximumTemplates)
        temporalLayers = [UInt8](repeating: 0, count: Self.maximumTemplates)
        fdiffCounts = [UInt8](repeating: 0, count: Self.maximumTemplates)
        fdiffs = [UInt16](repeating: 0, count: Self.maximumTemplates * DependencyDescriptor.FrameReferences.capacity)
        widths = [Int](repeating: 0, count: Self.maximumSpatialLayers)
        heights = [Int](repeating: 0, count: Self.maximumSpatialLayers)
    }

    /// The highest temporal layer any template names, plus one.
    public var temporalLayerCount: Int {
        guard isValid else { return 0 }
        var highest = 0
        for index in 0..<templateCount { highest = max(highest, Int(temporalLayers[index])) }
        return highest + 1
    }

    mutating func invalidate() {
        isValid = false
        spatialLayerCount = 0
        hasResolutions = false
    }

    func references(of template: Int, into references: inout DependencyDescriptor.FrameReferences) {
        let count = Int(fdiffCounts[template])
        let capacity = DependencyDescriptor.FrameReferences.capacity
        for index in 0..<min(count, capacity) { references.append(fdiffs[template * capacity + index]) }
        if count > capacity { references.append(0) }  // sets `overflow`
    }

    /// template_dependency_structure() (A.8.3.1 to A.8.3.5).
    mutating func read(_ reader: inout BitReader) -> Bool {
        invalidate()
        templateIDOffset = UInt8(reader.bits(6))
        decodeTargetCount = reader.bits(5) + 1
        // template_layers(): each next_layer_idc says where the next template sits.
        var spatial = 0
        var temporal = 0
        templateCount = 0
        var maximumSpatial = 0
        while true {
            guard templateCount < Self.maximumTemplates, spatial < 4, temporal < 8, !reader.overrun else { return false }
            spatialLayers[templateCount] = UInt8(spatial)
            temporalLayers[templateCount] = UInt8(temporal)
            templateCount += 1
            let next = reader.bits(2)
            if next == 1 {
                temporal += 1
            } else if next == 2 {
                temporal = 0
                spatial += 1
                maximumSpatial = spatial
            } else if next == 3 {
                break
            }
        }
        // template_dtis(): two bits per template and decode target, not needed to tell a
        // frame's layers and references.
        for _ in 0..<(templateCount * decodeTargetCount) { _ = reader.bits(2) }
        // template_fdiffs()
        let capacity = DependencyDescriptor.FrameReferences.capacity
        for template in 0..<templateCount {
            var count = 0
            while reader.bit() {
                let fdiff = UInt16(reader.bits(4) + 1)
                if count < capacity { fdiffs[template * capacity + count] = fdiff }
                count += 1
                guard count <= 16, !reader.overrun else { return false }
            }
            fdiffCounts[template] = UInt8(count)
        }
        // template_chains()
        let chains = reader.nonSymmetric(decodeTargetCount + 1)
        if chains > 0 {
            for _ in 0..<decodeTargetCount { _ = reader.nonSymmetric(chains) }
            for _ in 0..<(templateCount * chains) { _ = reader.bits(4) }
        }
        // decode_target_layers() reads nothing; render_resolutions() two 16-bit values per
        // spatial layer, each the size minus one.
        hasResolutions = reader.bit()
        if hasResolutions {
            for layer in 0...maximumSpatial {
                widths[layer] = reader.bits(16) + 1
                heights[layer] = reader.bits(16) + 1
            }
        }
        guard !reader.overrun else { return false }
        spatialLayerCount = maximumSpatial + 1
        isValid = true
        return true
    }
}

/// Reads bits most significant first; past the end it reads zeros and sets `overrun`.
struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private(set) var overrun = false

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func bit() -> Bool { bits(1) == 1 }

    /// Up to 32 bits.
    mutating func bits(_ count: Int) -> Int {
        var value = 0
        for _ in 0..<max(0, min(count, 32)) {
            let byte = position >> 3
            guard byte < bytes.count else {
                overrun = true
                return value
            }
            value = value << 1 | Int((bytes[byte] >> (7 - UInt8(position & 7))) & 1)
            position += 1
        }
        return value
    }

    /// ns(n), a non-symmetric unsigned value below `n` (A.8.1, as in AV1's 4.10.10).
    mutating func nonSymmetric(_ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var width = 0
        var x = n
        while x != 0 {
            x >>= 1
            width += 1
        }
        let m = (1 << width) - n
        let v = bits(width - 1)
        if v < m { return v }
        return (v << 1) - m + bits(1)
    }
}
