import DatagramIO
import Logging
import NIOConcurrencyHelpers
import STUN

/// A relay port held for a RESERVATION-TOKEN: a bound socket that reads nothing.
struct PortReservation: Sendable {
    let address: STUNTransportAddress
    let placeholder: DatagramSocket
    let expiry: UInt32
}

/// What every relay worker shares: settings, credentials, nonces and the counts that
/// cross loops (quotas, failed authentications). Only control messages touch the locks here.
final class TURNServerState: Sendable {
    let configuration: TURNConfiguration
    let credentials: CredentialStore
    let nonces: NonceIssuer
    let limiter: AuthenticationFailureLimiter
    let peerPolicy: PeerAddressPolicy
    let metrics = TURNMetrics()
    let logger: Logger
    /// The addresses listened on (resolved from the interfaces when none were configured).
    let listenAddresses: [IPAddress]
    private let quota = NIOLockedValueBox(QuotaState())
    private let controlStatistics = NIOLockedValueBox(TURNStatistics())
    private let reservations = NIOLockedValueBox<[UInt64: PortReservation]>([:])

    struct QuotaState {
        var total = 0
        var perIdentity: [String: Int] = [:]
    }

    init(configuration: TURNConfiguration, peerPolicy: PeerAddressPolicy, listenAddresses: [IPAddress], logger: Logger) {
        self.listenAddresses = listenAddresses
        self.configuration = configuration
        self.credentials = CredentialStore(realm: configuration.realm, users: configuration.users, restSecret: configuration.restSecret)
        self.nonces = NonceIssuer(lifetime: configuration.lifetimes.nonceSeconds)
        self.limiter = AuthenticationFailureLimiter(limit: configuration.quotas.authenticationFailures,
                                                    windowSeconds: configuration.quotas.authenticationWindowSeconds)
        self.peerPolicy = peerPolicy
        self.logger = logger
    }

    /// Takes one allocation from the quotas, or says which one is used up.
    func reserveAllocation(identity: String) -> Bool {
        let granted = quota.withLockedValue { state -> Bool in
            guard state.total < configuration.quotas.allocationsTotal,
                  state.perIdentity[identity, default: 0] < configuration.quotas.allocationsPerUser else { return false }
            state.total += 1
            state.perIdentity[identity, default: 0] += 1
            return true
        }
        if granted {
            metrics.allocations.record(allocationCount)
        }
        return granted
    }

    func releaseAllocation(identity: String) {
        quota.withLockedValue { state in
            state.total -= 1
            let left = state.perIdentity[identity, default: 1] - 1
            state.perIdentity[identity] = left > 0 ? left : nil
        }
        metrics.allocations.record(allocationCount)
    }

    var allocationCount: Int { quota.withLockedValue { $0.total } }

    /// Holds a port for a later Allocate; returns the RESERVATION-TOKEN (RFC 8656 7.2).
    func reserve(_ reservation: PortReservation) -> UInt64 {
        var token: UInt64 = 0
        reservations.withLockedValue { table in
            repeat { token = UInt64.random(in: 1...UInt64.max) } while table[token] != nil
            table[token] = reservation
        }
        return token
    }

    func redeemReservation(_ token: UInt64) -> PortReservation? {
        reservations.withLockedValue { $0.removeValue(forKey: token) }
    }

    /// Frees reservations nobody redeemed in time (RFC 8656 7.2 suggests about 30 s).
    func expireReservations(now: UInt32) {
        let expired = reservations.withLockedValue { table -> [PortReservation] in
            let old = table.filter { $0.value.expiry <= now }
            for token in old.keys { table[token] = nil }
            return Array(old.values)
        }
        for reservation in expired { reservation.placeholder.close() }
    }

    func count(_ update: (inout TURNStatistics) -> Void) {
        controlStatistics.withLockedValue(update)
    }

    var statistics: TURNStatistics { controlStatistics.withLockedValue { $0 } }
}
