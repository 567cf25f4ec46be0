/// A `c=` line (RFC 8866 5.7). WebRTC puts a placeholder here (RFC 8829 5.2.1: `IN IP4 0.0.0.0`);
/// the real addresses travel in candidates.
public struct Connection: Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    /// May carry `/ttl` or `/count` suffixes for multicast; kept verbatim.
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init?(parsing value: Substring) {
        let f = value.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 3, f.allSatisfy({ SDPToken.isVisible($0) }) else { return nil }
        self.init(networkType: String(f[0]), addressType: String(f[1]), address: String(f[2]))
    }

    var fieldValue: String { "\(networkType) \(addressType) \(address)" }
}

/// A `b=` line (RFC 8866 5.8), e.g. `AS:2000` or `TIAS:1000000` (RFC 3890).
public struct Bandwidth: Hashable, Sendable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init?(parsing value: Substring) {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let type = value[..<colon]
        guard !type.isEmpty, SDPToken.isToken(type),
            let v: UInt64 = SDPToken.decimal(value[value.index(after: colon)...])
        else { return nil }
        self.init(type: String(type), value: v)
    }

    var fieldValue: String { "\(type):\(value)" }
}

/// A `t=` line and the `r=` lines that follow it (RFC 8866 5.9, 5.10). WebRTC always sends `t=0 0`.
public struct Timing: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64
    /// `r=` values, kept verbatim: nothing in WebRTC schedules sessions.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    init?(parsing value: Substring) {
        let f = value.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 2, let start: UInt64 = SDPToken.decimal(f[0]), let stop: UInt64 = SDPToken.decimal(f[1])
        else { return nil }
        self.init(start: start, stop: stop)
    }
}
