#if canImport(Glibc)
import Glibc
#endif
import DatagramIO
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import STUN

/// The STUN/TURN relay: UDP, TCP and TLS listeners on every listening address, served by relay
/// workers (one thread each, `RelayWorker`). UDP listeners exist once per worker per address
/// (SO_REUSEPORT), so the kernel spreads clients over the workers by 5-tuple hash and an
/// allocation's client socket, relay socket and state share one thread. TCP and TLS connections
/// run on SwiftNIO event loops and are assigned to the workers in turn.
public final class TURNServer: Sendable {
    public let configuration: TURNConfiguration
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let state: TURNServerState
    private let workers: [RelayWorker]
    private let nextWorker = NIOLockedValueBox(0)
    private let channels = NIOLockedValueBox<[any Channel]>([])
    private let bound = NIOLockedValueBox<BoundAddresses>(BoundAddresses())

    /// What the listeners ended up bound to (ports chosen by the kernel when 0 was asked).
    public struct BoundAddresses: Sendable, Equatable {
        public var udp: [STUNTransportAddress] = []
        public var tcp: [STUNTransportAddress] = []
        public var tls: [STUNTransportAddress] = []
    }

    /// - Parameters:
    ///   - mediaEndpoints: the bundled SFU's media addresses and ports, always reachable.
    ///   - group: event loops for the TCP and TLS connections (the relay makes its own when nil).
    public init(configuration: TURNConfiguration, mediaEndpoints: PeerAddressPolicy.MediaEndpoints? = nil,
                logger: Logger = Logger(label: "turn"), group: (any EventLoopGroup)? = nil) throws {
        self.configuration = configuration
        let threads = configuration.threads == 0 ? System.coreCount : configuration.threads
        let interfaces = Self.interfaceAddresses()
        var listen = configuration.listenAddresses
        if listen.isEmpty { listen = interfaces.filter { !$0.isLinkLocal } }
        var policy = configuration.peerPolicy
        policy.ownAddresses.formUnion(interfaces)
        policy.ownAddresses.formUnion(listen.map(\.canonical))
        policy.ownAddresses.formUnion(configuration.relayAddresses.map(\.canonical))
        policy.ownAddresses.formUnion(configuration.externalAddresses.map(\.canonical))
        policy.mediaEndpoints = mediaEndpoints
        let state = TURNServerState(configuration: configuration, peerPolicy: policy, listenAddresses: listen, logger: logger)
        self.state = state
        self.workers = try (0..<threads).map { index throws(DatagramIOError) in try RelayWorker(index: index, state: state) }
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        }
    }

    /// Every address of every interface (IPv6 link-local included: they are refused as peers).
    static func interfaceAddresses() -> Set<IPAddress> {
        guard let devices = try? System.enumerateDevices() else { return [] }
        return Set(devices.compactMap { $0.address.flatMap(IPAddress.init) })
    }

    public var listenAddresses: [IPAddress] { state.listenAddresses }

    /// Binds every listener. Throws when one cannot be bound (port taken, address not local).
    public func start() async throws {
        for worker in workers { worker.start() }
        let sslContext = try configuration.tls.map { settings in
            let chain = try NIOSSLCertificate.fromPEMFile(settings.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: settings.privateKeyPath, format: .pem)
            return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        }
        // Configured addresses must all work; of the interface addresses found on our own, the
        // ones that cannot be bound (an IPv6 address still in duplicate address detection, say)
        // are skipped with a warning, as long as one remains.
        let explicit = !configuration.listenAddresses.isEmpty
        var listening = 0
        for address in state.listenAddresses {
            do {
                if configuration.enableUDP { try await bindUDP(address) }
                if configuration.enableTCP { try await bindStream(address, port: configuration.port, tls: nil) }
                if let sslContext { try await bindStream(address, port: configuration.tlsPort, tls: sslContext) }
                listening += 1
            } catch {
                if explicit {
                    await stop()
                    throw TURNServerError.cannotListen(address: "\(address)", reason: "\(error)")
                }
                state.logger.warning("not listening on an interface address", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
        if listening == 0 {
            await stop()
            throw TURNServerError.cannotListen(address: state.listenAddresses.map(\.description).joined(separator: ", "),
                                               reason: "no address could be bound")
        }
        state.logger.info("TURN relay listening", metadata: [
            "udp": "\(bound.withLockedValue { $0.udp })", "tcp": "\(bound.withLockedValue { $0.tcp })", "tls": "\(bound.withLockedValue { $0.tls })", "realm": "\(configuration.realm)",
            "relay ports": "\(configuration.relayPorts)",
        ])
    }

    private func bindUDP(_ address: IPAddress) async throws {
        var port = configuration.port
        for worker in workers {
            // One listening socket carries every client of its worker: a 4 MB queue (as coturn
            // asks for) rides out bursts instead of dropping them (capped by net.core.rmem_max).
            let socket = try DatagramSocket(boundTo: STUNTransportAddress(ip: address, port: port),
                                            options: .init(reusePort: true, receiveBufferBytes: 4 << 20, sendBufferBytes: 4 << 20))
            port = socket.localAddress.port
            let listener = ListenerSocket(socket: socket)
            let registered = await worker.submit { loop -> Result<Void, DatagramIOError> in
                Result { () throws(DatagramIOError) in try loop.worker.register(listener) }
            }
            guard let registered else { throw TURNServerError.cannotListen(address: "\(address)", reason: "relay worker stopped") }
            try registered.get()
            if worker === workers.first {
                bound.withLockedValue { $0.udp.append(STUNTransportAddress(ip: address, port: port)) }
            }
        }
    }

    private func bindStream(_ address: IPAddress, port: UInt16, tls: NIOSSLContext?) async throws {
        let workers = self.workers
        let nextWorker = self.nextWorker
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let worker = workers[nextWorker.withLockedValue { next in
                        defer { next = (next + 1) % workers.count }
                        return next
                    }]
                    let local = channel.localAddress.flatMap(STUNTransportAddress.init) ?? STUNTransportAddress(ip: address, port: port)
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(ByteToMessageHandler(StreamFramer()))
                    try pipeline.addHandler(StreamConnectionHandler(worker: worker, serverAddress: local))
                }
            }
            .bind(to: STUNTransportAddress(ip: address, port: port).socketAddress).get()
        channels.withLockedValue { $0.append(channel) }
        let chosen = STUNTransportAddress(ip: address, port: UInt16(channel.localAddress?.port ?? Int(port)))
        bound.withLockedValue { tls == nil ? $0.tcp.append(chosen) : $0.tls.append(chosen) }
    }

    public var boundAddresses: BoundAddresses { bound.withLockedValue { $0 } }

    /// Closes listeners and every allocation.
    public func stop() async {
        let open = channels.withLockedValue { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in open { try? await channel.close() }
        for worker in workers { await worker.stop() }
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// Counts since start, summed over the workers.
    public func statistics() async -> TURNStatistics {
        var total = state.statistics
        total.allocations = state.allocationCount
        for worker in workers {
            guard let counters = await worker.submit({ $0.counters }) else { continue }
            total.packetsToPeers += counters.packetsToPeers
            total.packetsToClients += counters.packetsToClients
            total.bytesToPeers += counters.bytesToPeers
            total.bytesToClients += counters.bytesToClients
            total.dropped += counters.dropped
        }
        return total
    }
}

public enum TURNServerError: Error, CustomStringConvertible {
    case cannotListen(address: String, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let reason): "cannot listen on \(address): \(reason)"
        }
    }
}
