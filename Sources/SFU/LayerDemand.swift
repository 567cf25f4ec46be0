/// Which simulcast layers of a published track anyone needs, as plain values; the publisher is
/// asked to pause the layers above them (sfu-client sets those encodings `active: false`), which
/// spares its uplink and its encoder. A patient on home Wi-Fi whose doctor shows them in a
/// 640-pixel window need not send 1280 pixels; a class whose students are tiles in a grid need
/// not send its full-size layers to nobody.
///
/// The layers are ranked from the smallest picture to the largest. The need is a count from the
/// smallest: every layer up to the largest any subscriber's rendered size asks for stays on
/// (`LayerChoice` over all layers, paused or not), because a subscriber whose bandwidth cannot
/// carry its preferred layer falls back to a smaller one. With no subscriber only the smallest
/// stays, so that a newcomer starts at once; a newcomer that has not reported its size asks for
/// the largest. While a layer's width is unknown (no keyframe of it seen yet), every layer is
/// needed.
///
/// Going up is told at once: a subscriber is waiting. Going down waits `pauseDelay` (the need
/// must stay lower that long): a tile resized back and forth, or a viewer who reloads, does not
/// stop and restart the publisher's encoder each time.
struct LayerDemand {
    /// How many layers, from the smallest, the publisher was last told to send; nil while it
    /// sends what it started with (all of them).
    private(set) var activeCount: Int?
    /// Since when the need has been below `activeCount` (microseconds, monotonic).
    private var lowerSince: Int64?

    /// How many layers from the smallest are needed: `widths` are the ranked layers' picture
    /// widths, `renderedWidths` one entry per subscriber (nil: not reported yet; 0: hidden).
    static func needed(widths: [Int?], renderedWidths: [Int?]) -> Int {
        guard !widths.isEmpty else { return 0 }
        guard widths.allSatisfy({ $0 != nil }) else { return widths.count }
        let layers = widths.map { LayerChoice.Layer(width: $0, active: true) }
        var highest = 0
        for rendered in renderedWidths {
            let index = LayerChoice.choose(renderedWidth: rendered, layers: layers) ?? layers.count - 1
            highest = max(highest, index)
        }
        return highest + 1
    }

    /// The need now (`needed`, of `count` layers): the count the publisher should be told to
    /// send, or nil when nothing is to be told.
    mutating func update(needed: Int, count: Int, now: Int64, pauseDelay: Int64) -> Int? {
        guard count > 1 else { return nil }
        let needed = min(max(needed, 1), count)
        let current = activeCount ?? count
        if needed >= current {
            lowerSince = nil
            guard needed > current else { return nil }
            activeCount = needed
            return needed
        }
        guard let since = lowerSince else {
            lowerSince = now
            return pauseDelay <= 0 ? apply(needed) : nil
        }
        return now &- since >= pauseDelay ? apply(needed) : nil
    }

    private mutating func apply(_ needed: Int) -> Int {
        activeCount = needed
        lowerSince = nil
        return needed
    }
}
