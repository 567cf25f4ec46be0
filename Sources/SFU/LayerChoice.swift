/// Which simulcast layer a subscriber receives, as a plain function of what is known: the size
/// at which it renders the track (reported by the client) and, per layer, its picture width and
/// whether the publisher is sending it.
enum LayerChoice {
    struct Layer: Equatable {
        var width: Int?
        var active: Bool
    }

    /// `layers` from the smallest picture to the largest. The smallest active layer at least as
    /// wide as the rendering (a sharper one would cost bandwidth for nothing); the widest active
    /// one when none is wide enough, when nothing was reported, or while some layer's width is
    /// unknown. A rendered width of 0 (the video is not shown) takes the smallest active layer.
    /// nil when no layer is active.
    static func choose(renderedWidth: Int?, layers: [Layer]) -> Int? {
        guard let widest = layers.lastIndex(where: \.active) else { return nil }
        if renderedWidth == 0 { return layers.firstIndex(where: \.active) }
        guard let rendered = renderedWidth, rendered > 0, layers.allSatisfy({ $0.width != nil }) else { return widest }
        return layers.indices.first { layers[$0].active && layers[$0].width! >= rendered } ?? widest
    }
}
