/// Which of a track's layers one subscriber's stream carries, as plain values (layers by their
/// index in the track): one layer at a time, and a simulcast switch only at a keyframe of the
/// target layer, since the decoder needs one to start on another stream (RFC 8853 leaves the
/// choice to the SFU; mediasoup's SimulcastConsumer and LiveKit's forwarder do the same).
public struct LayerSwitch: Sendable, Equatable {
    /// How many layers the track has; with one, there is nothing to switch.
    public let layerCount: Int
    public private(set) var current: Int?
    public private(set) var target: Int?
    /// The current layer is not forwarded while a switch down waits (`setTarget`).
    public private(set) var dropsCurrent = false
    /// Switches made (the first layer forwarded is not one).
    public private(set) var switches = 0

    public init(layerCount: Int) {
        self.layerCount = max(1, layerCount)
    }

    /// The layer to switch to. With `dropCurrent` (the subscriber's link cannot carry the
    /// current layer), the current layer stops at once rather than at the switch: its packets
    /// would only fill the link's queue ahead of the keyframe that ends the wait. Returns
    /// whether the subscriber now waits for a keyframe of `layer` (ask the publisher for one).
    @discardableResult
    public mutating func setTarget(_ layer: Int, dropCurrent: Bool = false) -> Bool {
        target = layer
        dropsCurrent = dropCurrent && layer != current
        return layer != current
    }

    /// Whether a packet of `layer` (starting a keyframe or not) is forwarded; moves to it when
    /// it is the target's keyframe. Without a target, simulcast aims at the last layer.
    public mutating func admit(layer: Int, keyframe: Bool) -> Bool {
        if dropsCurrent, layer == current { return false }
        if layer != current {
            if layerCount > 1 {
                guard layer == (target ?? layerCount - 1), keyframe else { return false }
                if current != nil { switches += 1 }
            }
            current = layer
            dropsCurrent = false
        }
        return true
    }
}
