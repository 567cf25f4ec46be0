import Foundation
import JWTKit
import Logging

/// Checks join tokens before anything is allocated for a connection.
///
/// The JOSE header is read here, not left to jwt-kit, because jwt-kit picks a default key for an
/// unknown `kid` and trusts the key's algorithm over the header's: the checks below refuse
/// every algorithm but HS256 (RFC 8725 3.1, no `none`, no algorithm substitution) and every key
/// not configured. jwt-kit then verifies the HMAC (constant-time) and decodes the claims; the
/// time claims are checked last against this verifier's clock, with a small leeway for clock
/// skew (RFC 7519 4.1.4, 4.1.5).
public struct TokenVerifier: Sendable {
    /// A token longer than this is refused unread (a join token is a few hundred bytes).
    public static let maximumTokenBytes = 4096

    private let keys: [String: JWTKeyCollection]
    private let leeway: TimeInterval
    private let now: @Sendable () -> Date
    public let timings: TokenTimings
    private let logger: Logger
    private let metrics: SignalingMetrics

    public init(keys: [APIKey], leeway: Duration = .seconds(5), timings: TokenTimings = TokenTimings(),
                metrics: SignalingMetrics = SignalingMetrics(),
                logger: Logger = Logger(label: "sfu.tokens"), now: @escaping @Sendable () -> Date = { Date() }) async {
        var collections: [String: JWTKeyCollection] = [:]
        for key in keys {
            let collection = JWTKeyCollection()
            await collection.add(hmac: HMACKey(from: key.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
            collections[key.id] = collection
        }
        self.keys = collections
        self.leeway = Double(leeway.components.seconds) + Double(leeway.components.attoseconds) / 1e18
        self.timings = timings
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    /// The token's claims, or why it is refused. The time taken is recorded in `timings`.
    public func verify(_ token: String?) async throws(TokenError) -> JoinClaims {
        let clock = ContinuousClock()
        let start = clock.now
        let result: Result<JoinClaims, TokenError>
        do {
            result = .success(try await check(token))
        } catch {
            result = .failure(error)
        }
        let elapsed = clock.now - start
        await timings.record(elapsed)
        metrics.tokenCheck.record(duration: elapsed)
        logger.debug("token checked", metadata: [
            "duration_us": "\(elapsed.microseconds)",
            "outcome": "\(result.outcomeName)",
        ])
        return try result.get()
    }

    private func check(_ token: String?) async throws(TokenError) -> JoinClaims {
        guard let token, !token.isEmpty else { throw .missing }
        guard token.utf8.count <= Self.maximumTokenBytes else { throw .invalid("longer than \(Self.maximumTokenBytes) bytes") }
        // JWS compact serialization: header.payload.signature (RFC 7515 7.1).
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .invalid("not a JWS compact serialization (three dot-separated parts)") }
        guard let header = Self.decodeSegment(parts[0])?.objectValue else { throw .invalid("the header is not base64url JSON") }

        guard let algorithm = header["alg"]?.stringValue else { throw .invalid("the header has no alg") }
        guard algorithm == "HS256" else { throw .invalid("algorithm \(algorithm) is not accepted (HS256 only)") }
        // RFC 7515 4.1.11: a critical extension we do not understand makes the token invalid.
        guard header["crit"] == nil else { throw .invalid("critical header extensions are not supported") }

        // The key: header `kid`; a token without `kid` is looked up by its (unverified) `iss`,
        // which is then checked again once the signature proves it.
        let keyID: String
        if let kid = header["kid"] {
            guard let kidText = kid.stringValue else { throw .invalid("kid must be a string") }
            keyID = kidText
        } else if let iss = Self.decodeSegment(parts[1])?["iss"]?.stringValue {
            keyID = iss
        } else {
            throw .invalid("the token names no key (kid or iss)")
        }
        guard let collection = keys[keyID] else { throw .invalid("unknown API key") }

        let claims: JoinClaims
        do {
            claims = try await collection.verify(token, as: JoinClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .invalid("bad signature")
        } catch {
            throw .invalid("the claims do not decode (iss, sub, room and exp are required; grants must be an object)")
        }

        guard claims.apiKey == keyID else { throw .invalid("iss does not match the signing key") }
        let now = now()
        guard now.timeIntervalSince(claims.expiresAt) < leeway else { throw .expired }
        if let notBefore = claims.notBefore, notBefore.timeIntervalSince(now) > leeway {
            throw .invalid("not valid before \(Int(notBefore.timeIntervalSince1970))")
        }
        if let problem = JoinClaims.contentProblem(claims) { throw .invalid(problem) }
        return claims
    }

    /// Decodes one base64url segment (RFC 4648 5, unpadded as RFC 7515 2 requires) as JSON.
    private static func decodeSegment(_ segment: Substring) -> JSONValue? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        do {
            return try JSONValue.parse(data)
        } catch {
            return nil
        }
    }
}

extension Result where Success == JoinClaims, Failure == TokenError {
    fileprivate var outcomeName: String {
        switch self {
        case .success: "accepted"
        case .failure(let error): error.code.rawValue
        }
    }
}

extension Duration {
    var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
