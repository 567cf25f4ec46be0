/// The `o=` line (RFC 8866 5.2): who made the description and which version of it this is.
public struct Origin: Hashable, Sendable {
    public var username: String
    /// Numeric per RFC 8866; JSEP (RFC 8829 5.2.1) uses a random 62-bit value.
    public var sessionID: UInt64
    /// Incremented each time the description changes (RFC 8829 5.2.2).
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(
        username: String = "-", sessionID: UInt64, sessionVersion: UInt64,
        networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1"
    ) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init?(parsing value: Substring) {
        let f = value.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 6, f.allSatisfy({ SDPToken.isVisible($0) }),
            let id: UInt64 = SDPToken.decimal(f[1]), let version: UInt64 = SDPToken.decimal(f[2])
        else { return nil }
        self.init(
            username: String(f[0]), sessionID: id, sessionVersion: version,
            networkType: String(f[3]), addressType: String(f[4]), address: String(f[5]))
    }

    var fieldValue: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }
}
