/// Intersection of an offered m= section with our capabilities (RFC 8829 5.3.1, RFC 3264 6.1).
///
/// The offerer's payload type numbers are kept: the answer must use them (RFC 3264 6.1) and a
/// bundled transport demultiplexes on them (RFC 8843 9.1).
enum CodecNegotiation {
    static func intersect(offer m: MediaDescription, capabilities caps: CodecCapabilities) -> [NegotiatedCodec] {
        var offered: [(pt: UInt8, codec: Codec)] = []
        var seen = Set<UInt8>()
        let index = m.payloadIndex()
        for pt in m.payloadTypes where seen.insert(pt).inserted {
            guard let entry = index[pt], let map = entry.rtpmap else { continue }
            let codec = Codec(
                kind: m.kind, name: map.encodingName, clockRate: map.clockRate, channels: map.channels,
                parameters: entry.fmtp)
            offered.append((pt, codec))
        }
        let supportedFeedback = caps.feedback(for: m.kind)

        func negotiated(_ pt: UInt8, _ offeredCodec: Codec, local: Codec?) -> NegotiatedCodec {
            var parameters = offeredCodec.parameters
            if let local, offeredCodec.name.lowercased() == "h264" {
                // RFC 6184 8.2.2: answer the level we can take (or the lower one without asymmetry).
                let o = H264Parameters(offeredCodec.parameters)
                let l = H264Parameters(local.parameters)
                if let id = o.profileLevelID, let level = H264Parameters.answerLevel(offer: o, local: l) {
                    parameters["profile-level-id"] = H264Parameters.profileLevelID(id, withLevel: level)
                }
            }
            let feedback = (index[pt]?.feedback ?? []).filter { fb in supportedFeedback.contains { $0.sameKind(as: fb) } }
            var unique: [RTCPFeedback] = []
            for fb in feedback.map({ $0.with(payloadType: pt) }) where !unique.contains(fb) { unique.append(fb) }
            return NegotiatedCodec(
                payloadType: pt, name: offeredCodec.name, clockRate: offeredCodec.clockRate,
                channels: offeredCodec.channels, parameters: parameters, rtxPayloadType: nil, feedback: unique)
        }

        // Primary codecs we support, in our preference order, ties in offer order.
        var primaries: [(rank: Int, index: Int, codec: NegotiatedCodec)] = []
        for (index, entry) in offered.enumerated() where !entry.codec.isRepair {
            guard let rank = caps.preference(of: entry.codec) else { continue }
            primaries.append((rank, index, negotiated(entry.pt, entry.codec, local: caps.codecs[rank])))
        }
        primaries.sort { ($0.rank, $0.index) < ($1.rank, $1.index) }
        var result = primaries.map(\.codec)
        let kept = Set(result.map(\.payloadType))

        // RTX only for kept codecs, through its apt mapping (RFC 4588 8.1).
        if caps.rtx {
            for entry in offered where entry.codec.isRTX {
                guard let apt: UInt8 = entry.codec.parameters["apt"].flatMap({ SDPToken.decimal(Substring($0)) }),
                    let i = result.firstIndex(where: { $0.payloadType == apt && $0.rtxPayloadType == nil })
                else { continue }
                result[i].rtxPayloadType = entry.pt
            }
        }

        // Audio RED (RFC 2198) when every redundant encoding it names is a kept codec.
        if caps.audioRED, m.kind == .audio {
            for entry in offered where entry.codec.isRED && entry.codec.clockRate == 48000 {
                let names = entry.codec.parameters.items.first?.key.split(separator: "/") ?? []
                let pts = names.compactMap { SDPToken.decimal($0) as UInt8? }
                guard !pts.isEmpty, pts.count == names.count, pts.allSatisfy(kept.contains) else { continue }
                result.append(negotiated(entry.pt, entry.codec, local: nil))
            }
        }
        return result
    }

    /// Header extensions both support, with the offer's ids (RFC 8285 7: the answerer uses the
    /// offered ids). A direction is reversed, as the answer describes the other end.
    static func headerExtensions(offer m: MediaDescription, capabilities caps: CodecCapabilities) -> [ExtMap] {
        let supported = caps.headerExtensions(for: m.kind)
        var ids = Set<UInt8>()
        var uris = Set<String>()
        var result: [ExtMap] = []
        for e in m.extmaps where supported.contains(e.uri) {
            guard ids.insert(e.id).inserted, uris.insert(e.uri).inserted else { continue }
            result.append(ExtMap(id: e.id, direction: e.direction?.reversed, uri: e.uri))
        }
        return result
    }
}
