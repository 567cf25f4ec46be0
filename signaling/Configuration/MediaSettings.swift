import Foundation
import Transport

/// The media side's settings as `sfu serve` takes them, from the same three sources as the
/// signaling settings (flags > environment > config file > defaults), checked in one place.
public struct MediaSettings: Sendable, Equatable {
    /// UDP ports for media (host candidates).
    public var portRange: ClosedRange<UInt16> = 50000...50999
    /// Local addresses to gather on; empty: every interface address.
    public var bindAddresses: [String] = []
    /// Addresses announced instead of the host address (1:1 NAT).
    public var publicAddresses: [String] = []
    /// Media worker threads; 0: one per core.
    public var workers: Int = 0
    /// A connected peer silent this long is closed (RFC 7675 5.1 suggests 30 s).
    public var consentTimeoutSeconds: Int = 30
    /// Participants one room admits (a join past it gets `room-full`).
    public var maxParticipantsPerRoom: Int = 100

    public init() {}

    func validate() throws(ConfigurationError) {
        guard workers >= 0, workers <= 256 else {
            throw .invalidValue(setting: "media.workers", value: "\(workers)", reason: "must be 0 to 256")
        }
        guard (1...10_000).contains(maxParticipantsPerRoom) else {
            throw .invalidValue(setting: "media.maxParticipantsPerRoom", value: "\(maxParticipantsPerRoom)", reason: "must be 1 to 10000")
        }
        guard (1...300).contains(consentTimeoutSeconds) else {
            throw .invalidValue(setting: "media.consentTimeoutSeconds", value: "\(consentTimeoutSeconds)", reason: "must be 1 to 300")
        }
        for address in bindAddresses + publicAddresses where !Self.isIPAddress(address) {
            throw .invalidValue(setting: "media address", value: address, reason: "must be an IPv4 or IPv6 address")
        }
    }

    static func parsePortRange(_ text: String, setting: String) throws(ConfigurationError) -> ClosedRange<UInt16> {
        do {
            return try ICEConfiguration.parsePortRange(text)
        } catch {
            throw .invalidValue(setting: setting, value: text, reason: "must be LOW-HIGH, 1 <= LOW <= HIGH <= 65535")
        }
    }

    /// A comma-separated list ("10.0.0.1,10.0.0.2"), blanks dropped.
    static func parseList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
