import STUN
import Testing
@testable import TURN

/// A minimal TURN client over `UDPTestSocket`: builds requests with the long-term credential
/// mechanism (RFC 8489 9.2) and waits for the matching response.
final class TURNTestClient {
    let socket: UDPTestSocket
    let server: STUNTransportAddress
    let username: String
    let password: String
    private(set) var realm: String?
    private(set) var nonce: String?

    init(server: STUNTransportAddress, username: String = "u", password: String = "p") throws {
        self.socket = try UDPTestSocket()
        self.server = server
        self.username = username
        self.password = password
    }

    var address: STUNTransportAddress { socket.address }

    func key(_ algorithm: STUNPasswordAlgorithm = .md5) -> [UInt8] {
        STUNLongTermKey.derive(username: username, realm: realm ?? "", password: password, algorithm: algorithm)
    }

    /// Sends `bytes` and returns the response with `transactionID`; other messages are skipped.
    func transact(_ bytes: [UInt8], transactionID: STUNTransactionID, timeout: Double = 2) throws -> STUNReceivedMessage {
        try socket.send(bytes, to: server)
        return try response(to: transactionID, timeout: timeout)
    }

    func response(to transactionID: STUNTransactionID, timeout: Double = 2) throws -> STUNReceivedMessage {
        while true {
            let datagram = try socket.expectDatagram("response to \(transactionID)", timeout: timeout)
            guard datagram.source == server, STUNMessage.looksLikeSTUN(datagram.bytes),
                  let received = try? STUNMessage.decode(datagram.bytes) else { continue }
            if received.message.transactionID == transactionID,
               received.message.messageClass == .successResponse || received.message.messageClass == .errorResponse {
                return received
            }
        }
    }

    /// An unauthenticated request to learn REALM and NONCE (the 401 every client starts with).
    @discardableResult
    func challenge(_ method: STUNMethod = .allocate, extra: [STUNAttribute] = []) throws -> STUNReceivedMessage {
        let request = STUNMessage(method, .request, attributes: [.requestedTransport(17)] + extra)
        let answer = try transact(request.encode(), transactionID: request.transactionID)
        learn(from: answer)
        return answer
    }

    /// Picks up REALM and NONCE from a 401 or 438.
    func learn(from answer: STUNReceivedMessage) {
        if let realm = answer.message.attributes.first(where: { $0.type == .realm })?.text() { self.realm = realm }
        if let nonce = answer.message.attributes.first(where: { $0.type == .nonce })?.text() { self.nonce = nonce }
    }

    /// A request carrying USERNAME, REALM and NONCE; `attributes` gets the transaction ID for XOR'ed addresses.
    func message(_ method: STUNMethod, transactionID: STUNTransactionID = .random(),
                 _ attributes: (STUNTransactionID) -> [STUNAttribute] = { _ in [] }) -> STUNMessage {
        STUNMessage(method, .request, transactionID: transactionID, attributes: attributes(transactionID) + [
            .text(.username, username), .text(.realm, realm ?? ""), .text(.nonce, nonce ?? ""),
        ])
    }

    /// Sends an authenticated request (MESSAGE-INTEGRITY, or MESSAGE-INTEGRITY-SHA256) and returns the response.
    func request(_ method: STUNMethod, sha256: Bool = false,
                 _ attributes: (STUNTransactionID) -> [STUNAttribute] = { _ in [] }) throws -> STUNReceivedMessage {
        if nonce == nil { try challenge() }
        let request = message(method, attributes)
        let bytes = request.encode(integrity: sha256 ? .sha256(key: key()) : .sha1(key: key()), fingerprint: true)
        return try transact(bytes, transactionID: request.transactionID)
    }

    /// Allocate (RFC 8656 7.1) after the 401 round trip; returns the success response and the relayed address.
    func allocate() throws -> (response: STUNReceivedMessage, relayed: STUNTransportAddress) {
        let response = try request(.allocate) { _ in [.requestedTransport(17)] }
        guard response.message.messageClass == .successResponse else {
            throw SocketTestError(description: "Allocate failed: \(response.errorCode.map { "\($0)" } ?? "no ERROR-CODE")")
        }
        guard let relayed = response.address(.xorRelayedAddress) else {
            throw SocketTestError(description: "Allocate success without XOR-RELAYED-ADDRESS")
        }
        return (response, relayed)
    }

    func createPermission(_ peer: STUNTransportAddress) throws -> STUNReceivedMessage {
        try request(.createPermission) { [.xorAddress(.xorPeerAddress, peer, transactionID: $0)] }
    }

    func channelBind(_ number: UInt16, _ peer: STUNTransportAddress) throws -> STUNReceivedMessage {
        try request(.channelBind) { [.channelNumber(number), .xorAddress(.xorPeerAddress, peer, transactionID: $0)] }
    }

    func refresh(lifetime: UInt32) throws -> STUNReceivedMessage {
        try request(.refresh) { _ in [.lifetime(lifetime)] }
    }

    /// A Send indication (RFC 8656 10.1): no credentials, no response.
    func sendIndication(_ data: [UInt8], to peer: STUNTransportAddress) throws {
        let id = STUNTransactionID.random()
        let indication = STUNMessage(.send, .indication, transactionID: id, attributes: [
            .xorAddress(.xorPeerAddress, peer, transactionID: id), STUNAttribute(type: .data, value: data),
        ])
        try socket.send(indication.encode(), to: server)
    }

    /// A ChannelData message (RFC 8656 12.4).
    func sendChannelData(_ data: [UInt8], channel: UInt16) throws {
        try socket.send([UInt8(channel >> 8), UInt8(channel & 0xFF), UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data, to: server)
    }
}

extension STUNReceivedMessage {
    var errorCode: STUNErrorCode? { message.attributes.first { $0.type == .errorCode }?.errorCode }

    func address(_ type: STUNAttributeType) -> STUNTransportAddress? {
        message.attributes.first { $0.type == type }?.xorAddress(transactionID: message.transactionID)
    }

    var lifetime: UInt32? { message.attributes.first { $0.type == .lifetime }?.uint32 }
}
