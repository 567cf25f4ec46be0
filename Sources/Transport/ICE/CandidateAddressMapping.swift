/// Rewrites host candidates for a server behind a 1:1 NAT.
///
/// A cloud instance sees only its private address, but peers must be told the public one. As the
/// NAT maps public:port to private:port one to one, announcing the public address with the same
/// port is enough: checks arrive on the private socket and answers leave through the same mapping
/// (the approach Janus calls nat_1_1_mapping).
enum CandidateAddressMapping {
    /// The candidate lines to announce for one gathered candidate line (RFC 8839 5.1 syntax:
    /// foundation component transport priority address port "typ" type …).
    static func announce(_ line: String, configuration: ICEConfiguration) -> [String] {
        guard !configuration.publicAddresses.isEmpty else { return [line] }
        var fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 8, fields[6] == "typ", fields[7] == "host" else { return [line] }
        let privateAddress = fields[4]
        let isIPv6 = privateAddress.contains(":")
        var lines: [String] = []
        for publicAddress in configuration.publicAddresses where publicAddress.contains(":") == isIPv6 {
            fields[4] = publicAddress
            lines.append(fields.joined(separator: " "))
        }
        if lines.isEmpty || configuration.keepPrivateCandidates { lines.append(line) }
        return lines
    }
}
