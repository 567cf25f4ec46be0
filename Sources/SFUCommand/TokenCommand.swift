import ArgumentParser
import Foundation
import SFU
import Signaling

/// `sfu token`: prints a join token (docs/signaling.md, "Join tokens") for a room and identity.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a join token (an HS256 JWT) for one participant of one room."
    )

    @Option(help: "The room to join.")
    var room: String

    @Option(help: "The participant identity (unique in the room).")
    var identity: String

    @Option(help: "Display name (default: the identity).")
    var name: String?

    @Option(help: "Lifetime in seconds.")
    var ttl = 3600

    @Flag(help: "Do not grant publishing.")
    var noPublish = false

    @Flag(help: "Do not grant subscribing.")
    var noSubscribe = false

    @Flag(help: "Grant admin.")
    var admin = false

    @Option(name: .customLong("api-key"), help: "KEY:SECRET to sign with (default: SFU_API_KEY and SFU_API_SECRET).")
    var apiKey: String?

    func validate() throws {
        guard ttl > 0, ttl <= 366 * 24 * 3600 else { throw ValidationError("--ttl must be 1 second to 366 days") }
    }

    func run() async throws {
        let key: APIKey
        do {
            if let apiKey {
                key = try APIKey.parse(apiKey)
            } else {
                let environment = ProcessInfo.processInfo.environment
                guard let id = environment["SFU_API_KEY"], let secret = environment["SFU_API_SECRET"], !id.isEmpty, !secret.isEmpty else {
                    throw ValidationError("pass --api-key KEY:SECRET or set SFU_API_KEY and SFU_API_SECRET")
                }
                key = try APIKey(id: id, secret: secret)
            }
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description)
        }
        let issuer = await TokenIssuer(key: key)
        do {
            let token = try await issuer.mint(room: room, identity: identity, name: name,
                                              grants: Grants(publish: !noPublish, subscribe: !noSubscribe, admin: admin),
                                              ttl: .seconds(ttl))
            print(token)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
