import Foundation
import NIOCore
import DatagramIO
import STUN

/// The key of an allocation: RFC 8656 2's 5-tuple. Over UDP the listener socket fixes the server
/// address and protocol, so the listener and the client address are enough; a TCP or TLS
/// connection is a 5-tuple by itself.
enum AllocationKey: Hashable {
    case datagram(listener: ObjectIdentifier, client: STUNTransportAddress)
    case stream(connection: ObjectIdentifier)
}

/// The client side of one received message: who sent it, where to answer, which allocation it
/// may touch.
struct ClientEndpoint {
    let sink: ClientSink
    let clientAddress: STUNTransportAddress
    let serverAddress: STUNTransportAddress
    let key: AllocationKey
}

/// One relay worker's share of the relay: the allocations whose client arrived on this worker
/// (through one of its UDP listening sockets, or a TCP/TLS connection assigned to it) with their
/// relay sockets, and its data-path counters. Every method runs on the worker's thread, which is
/// what makes the unchecked Sendable sound.
final class TURNLoop: @unchecked Sendable {
    unowned let worker: RelayWorker
    let state: TURNServerState
    let ring: DatagramReceiveRing
    let sendQueue: DatagramSendQueue
    var allocations: [AllocationKey: Allocation] = [:]
    /// Open TCP/TLS connections of this worker, for the allocate-within deadline.
    var streams: [ObjectIdentifier: StreamClient] = [:]
    var counters = DataPathCounters()
    private var flushedCounters = DataPathCounters()
    /// Connections written in this round, flushed at its end (one write and flush each).
    private var streamsToFlush: [StreamClient] = []

    init(worker: RelayWorker, state: TURNServerState) {
        self.worker = worker
        self.state = state
        self.ring = worker.ring
        self.sendQueue = worker.sendQueue
    }

    var configuration: TURNConfiguration { state.configuration }

    /// Wall-clock seconds (lifetimes, nonces and REST expiries are whole seconds), derived from
    /// the monotonic clock so a packet costs one clock read.
    private let wallAtStart = UInt64(Date().timeIntervalSince1970)
    private let monotonicAtStart = DispatchTime.now().uptimeNanoseconds
    var now: UInt32 { clock().seconds }
    @inline(__always) func clock() -> (seconds: UInt32, nanoseconds: UInt64) {
        let nanoseconds = DispatchTime.now().uptimeNanoseconds
        return (UInt32(truncatingIfNeeded: wallAtStart + (nanoseconds - monotonicAtStart) / 1_000_000_000), nanoseconds)
    }

    func stop() {
        state.expireReservations(now: .max)
        for allocation in allocations.values { close(allocation) }
        allocations.removeAll()
        for stream in streams.values { stream.channel.close(promise: nil) }
        streams.removeAll()
    }

    /// Once a second: expire allocations, permissions and channels; close connections that did
    /// not allocate in time; publish counters.
    func sweep() {
        let now = self.now
        for (key, allocation) in allocations {
            if allocation.expiry <= now {
                allocations[key] = nil
                close(allocation)
            } else {
                allocation.expire(now: now)
            }
        }
        state.expireReservations(now: now)
        for stream in streams.values where stream.openedAt &+ StreamClient.allocateWithinSeconds <= now
            && allocations[stream.key] == nil {
            stream.channel.close(promise: nil)
        }
        let metrics = state.metrics
        metrics.packetsRelayedToPeers.increment(by: Int64(counters.packetsToPeers - flushedCounters.packetsToPeers))
        metrics.packetsRelayedToClients.increment(by: Int64(counters.packetsToClients - flushedCounters.packetsToClients))
        metrics.bytesRelayedToPeers.increment(by: Int64(counters.bytesToPeers - flushedCounters.bytesToPeers))
        metrics.bytesRelayedToClients.increment(by: Int64(counters.bytesToClients - flushedCounters.bytesToClients))
        metrics.packetsDropped.increment(by: Int64(counters.dropped - flushedCounters.dropped))
        flushedCounters = counters
    }

    func close(_ allocation: Allocation) {
        guard !allocation.isClosed else { return }
        allocation.isClosed = true
        if let relay = allocation.relaySocket { worker.close(relay) }
        state.releaseAllocation(identity: allocation.identity)
    }

    // MARK: Stream clients (posted by their NIO connection handler)

    func streamOpened(_ stream: StreamClient) {
        stream.openedAt = now
        streams[stream.id] = stream
    }

    /// Messages framed from a TCP/TLS connection (one read batch).
    func streamFrames(_ frames: [ByteBuffer], from stream: StreamClient) {
        guard stream.isOpen else { return }
        let endpoint = ClientEndpoint(sink: .stream(stream), clientAddress: stream.clientAddress,
                                      serverAddress: stream.serverAddress, key: stream.key)
        for frame in frames {
            guard let first = frame.getInteger(at: frame.readerIndex, as: UInt8.self) else { continue }
            if ChannelData.isChannelData(firstByte: first) {
                frame.withUnsafeReadableBytes { relayChannelData($0, key: endpoint.key, stable: false) }
            } else {
                handleSTUN(Array(frame.readableBytesView), from: endpoint)
            }
        }
    }

    /// A TCP/TLS client went away: its allocation goes with it (RFC 8656 7: the 5-tuple is gone).
    func streamClosed(_ stream: StreamClient) {
        stream.isOpen = false
        streams[stream.id] = nil
        if let allocation = allocations.removeValue(forKey: stream.key) { close(allocation) }
    }

    /// Bytes for a connection, written at the end of this round.
    func write(_ bytes: UnsafeRawBufferPointer, to stream: StreamClient, padTo4: Bool = false) {
        guard stream.isOpen else { return }
        if stream.pending == nil {
            stream.pending = stream.channel.allocator.buffer(capacity: max(1024, bytes.count + 3))
            streamsToFlush.append(stream)
        }
        stream.pending!.writeBytes(bytes)
        if padTo4, bytes.count & 3 != 0 { stream.pending!.writeRepeatingByte(0, count: 4 - bytes.count & 3) }
    }

    /// End of a round: one write and flush per connection written (NIO takes it to the
    /// connection's own event loop).
    func flushStreams() {
        guard !streamsToFlush.isEmpty else { return }
        for stream in streamsToFlush {
            if let pending = stream.pending { stream.channel.writeAndFlush(pending, promise: nil) }
            stream.pending = nil
        }
        streamsToFlush.removeAll(keepingCapacity: true)
    }

    // MARK: Data path

    /// A datagram on a UDP listening socket: ChannelData to relay, or a STUN message.
    @inline(__always)
    func listenerDatagram(_ slot: Int, listener: ListenerSocket) {
        let payload = UnsafeRawBufferPointer(ring.payload(slot))
        guard !payload.isEmpty, !ring.isTruncated(slot), let client = ring.source(slot) else {
            counters.dropped += 1
            return
        }
        let first = payload[0]
        let key = AllocationKey.datagram(listener: listener.id, client: client)
        if ChannelData.isChannelData(firstByte: first) {
            relayChannelData(payload, key: key, stable: true)
        } else if first & 0xC0 == 0 {
            let endpoint = ClientEndpoint(sink: .datagram(listener: listener, client: client), clientAddress: client,
                                          serverAddress: listener.serverAddress, key: key)
            handleSTUN(Array(payload), from: endpoint)
        } else {
            counters.dropped += 1
        }
    }

    /// A ChannelData message from a client (RFC 8656 12.6): its data to the bound peer. `stable`:
    /// the bytes stay valid until the send queue is flushed (a receive slot), so they are sent
    /// from where they are instead of copied.
    @inline(__always)
    func relayChannelData(_ message: UnsafeRawBufferPointer, key: AllocationKey, stable: Bool) {
        guard message.count >= 4, let allocation = allocations[key], let relay = allocation.relaySocket else {
            counters.dropped += 1
            return
        }
        let number = UInt16(message[0]) << 8 | UInt16(message[1])
        let length = Int(UInt16(message[2]) << 8 | UInt16(message[3]))
        let (now, nanoseconds) = clock()
        // RFC 8656 12.6: unbound channel, data longer than the message, or no permission: discard.
        guard length <= message.count - 4, let binding = allocation.channels[number], binding.expiry > now,
              allocation.permission(for: binding.peer.ip, now: now) != nil,
              allocation.toPeerBudget.take(length, nanoseconds: nanoseconds) else {
            counters.dropped += 1
            return
        }
        let data = UnsafeRawBufferPointer(rebasing: message[4..<(4 + length)])
        let result = stable ? sendQueue.enqueue(data, to: binding.peer, through: relay.descriptor)
            : sendQueue.enqueueCopy(data, to: binding.peer, through: relay.descriptor)
        counters.dropped += result.refused
        counters.packetsToPeers += 1
        counters.bytesToPeers += length
    }

    /// A Send indication (RFC 8656 11.2): like ChannelData, with the peer in XOR-PEER-ADDRESS.
    func relaySendIndication(_ message: STUNMessage, key: AllocationKey) {
        guard let allocation = allocations[key], let relay = allocation.relaySocket,
              let peerAttribute = message.attributes.first(where: { $0.type == .xorPeerAddress }),
              let peer = peerAttribute.xorAddress(transactionID: message.transactionID),
              let data = message.value(of: .data) else {
            counters.dropped += 1
            return
        }
        let (now, nanoseconds) = clock()
        guard peer.ip.family == allocation.family, let permission = allocation.permission(for: peer.ip, now: now),
              permission.admits(port: peer.port), allocation.toPeerBudget.take(data.count, nanoseconds: nanoseconds) else {
            counters.dropped += 1
            return
        }
        let result = data.withUnsafeBytes { sendQueue.enqueueCopy($0, to: peer, through: relay.descriptor) }
        counters.dropped += result.refused
        counters.packetsToPeers += 1
        counters.bytesToPeers += data.count
    }

    /// A datagram from a peer to a relayed address (RFC 8656 11.3, 12.7): to the client as
    /// ChannelData when the peer has a channel (its header written in the slot's headroom, so the
    /// payload is not copied), else as a Data indication; dropped without a permission.
    @inline(__always)
    func relayFromPeer(_ slot: Int, allocation: Allocation) {
        let payload = ring.payload(slot)
        let length = payload.count
        // A Data indication carries at most 65535 bytes (RFC 8656 12.4 for ChannelData too).
        guard length <= 65_000, !ring.isTruncated(slot), let peer = ring.source(slot) else {
            counters.dropped += 1
            return
        }
        let (now, nanoseconds) = clock()
        guard let permission = allocation.permission(for: peer.ip, now: now),
              permission.admits(port: peer.port),
              allocation.toClientBudget.take(length, nanoseconds: nanoseconds) else {
            counters.dropped += 1
            return
        }
        if let number = allocation.channelByPeer[peer], let binding = allocation.channels[number], binding.expiry > now {
            // DatagramReceiveRing.headroom bytes precede every payload.
            let framed = UnsafeMutableRawBufferPointer(start: payload.baseAddress! - 4, count: length + 4)
            framed.storeBytes(of: number.bigEndian, toByteOffset: 0, as: UInt16.self)
            framed.storeBytes(of: UInt16(length).bigEndian, toByteOffset: 2, as: UInt16.self)
            switch allocation.sink {
            case .datagram(let listener, let client):
                counters.dropped += sendQueue.enqueue(UnsafeRawBufferPointer(framed), to: client, through: listener.socket.descriptor).refused
            case .stream(let stream):
                // RFC 8656 12.5: over a stream, ChannelData is padded to a multiple of 4 bytes.
                write(UnsafeRawBufferPointer(framed), to: stream, padTo4: true)
            }
        } else {
            let transactionID = STUNTransactionID.random()
            let indication = STUNMessage(.data, .indication, transactionID: transactionID, attributes: [
                .xorAddress(.xorPeerAddress, peer, transactionID: transactionID),
                STUNAttribute(type: .data, value: Array(payload)),
            ])
            allocation.sink.send(indication.encode(), loop: self)
        }
        counters.packetsToClients += 1
        counters.bytesToClients += length
    }
}
