import Foundation
import NIOCore
import NIOPosix
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

/// One event loop's share of the relay: the allocations whose client socket and relay socket live
/// on this loop, and its data-path counters. Every method runs on `eventLoop` (the handlers that
/// call it are bound to that loop), which is what makes the unchecked Sendable sound.
final class TURNLoop: @unchecked Sendable {
    let eventLoop: any EventLoop
    let state: TURNServerState
    var allocations: [AllocationKey: Allocation] = [:]
    /// Allocate requests whose relay socket is being bound (a retransmission meanwhile is dropped).
    var pending: Set<AllocationKey> = []
    var counters = DataPathCounters()
    private var flushedCounters = DataPathCounters()
    /// Relay sockets written in the current read batch, flushed at its end (one sendmmsg each).
    private var relaysToFlush: [Allocation] = []
    /// Client sockets written from relay sockets in this event loop tick. Their flush waits for
    /// the end of the tick, so datagrams from many relay sockets to one listening socket leave
    /// in one sendmmsg instead of one sendmsg each.
    private var clientSocketsToFlush: [any Channel] = []
    private var clientSocketsMarked: Set<ObjectIdentifier> = []
    private var sweepTask: RepeatedTask?

    init(eventLoop: any EventLoop, state: TURNServerState) {
        self.eventLoop = eventLoop
        self.state = state
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

    func startSweeping() {
        sweepTask = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            sweep()
        }
    }

    func stop() {
        sweepTask?.cancel()
        state.expireReservations(now: .max)
        for allocation in allocations.values { close(allocation) }
        allocations.removeAll()
    }

    /// Once a second: expire allocations, permissions and channels; publish counters.
    private func sweep() {
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
        allocation.relayChannel?.close(promise: nil)
        state.releaseAllocation(identity: allocation.identity)
    }

    /// A TCP/TLS client went away: its allocation goes with it (RFC 8656 7: the 5-tuple is gone).
    func connectionClosed(_ key: AllocationKey) {
        if let allocation = allocations.removeValue(forKey: key) { close(allocation) }
    }

    // MARK: Data path

    /// A ChannelData message from a client (RFC 8656 12.6): to the bound peer, without copying.
    @inline(__always)
    func relayChannelData(_ buffer: ByteBuffer, key: AllocationKey) {
        guard let allocation = allocations[key], let relay = allocation.relayChannel,
              let number = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let length16 = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else {
            counters.dropped += 1
            return
        }
        let length = Int(length16)
        let (now, nanoseconds) = clock()
        // RFC 8656 12.6: unbound channel, data longer than the message, or no permission: discard.
        guard length <= buffer.readableBytes - 4, let binding = allocation.channels[number], binding.expiry > now,
              allocation.permission(for: binding.peer.ip, now: now) != nil,
              allocation.toPeerBudget.take(length, nanoseconds: nanoseconds),
              let payload = buffer.getSlice(at: buffer.readerIndex + 4, length: length) else {
            counters.dropped += 1
            return
        }
        relay.write(AddressedEnvelope(remoteAddress: binding.peerSocketAddress, data: payload), promise: nil)
        counters.packetsToPeers += 1
        counters.bytesToPeers += length
        markForFlush(allocation)
    }

    /// A Send indication (RFC 8656 11.2): like ChannelData, with the peer in XOR-PEER-ADDRESS.
    func relaySendIndication(_ message: STUNMessage, key: AllocationKey) {
        guard let allocation = allocations[key], let relay = allocation.relayChannel,
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
        var buffer = relay.allocator.buffer(capacity: data.count)
        buffer.writeBytes(data)
        relay.write(AddressedEnvelope(remoteAddress: peer.socketAddress, data: buffer), promise: nil)
        counters.packetsToPeers += 1
        counters.bytesToPeers += data.count
        markForFlush(allocation)
    }

    /// A datagram from a peer to a relayed address (RFC 8656 11.3, 12.7): to the client as
    /// ChannelData when the peer has a channel, else as a Data indication; dropped without a
    /// permission.
    @inline(__always)
    func relayFromPeer(_ envelope: AddressedEnvelope<ByteBuffer>, allocation: Allocation) {
        let length = envelope.data.readableBytes
        // A Data indication carries at most 65535 bytes (RFC 8656 12.4 for ChannelData too).
        guard length <= 65_000, let peer = STUNTransportAddress(envelope.remoteAddress) else { return }
        let (now, nanoseconds) = clock()
        guard let permission = allocation.permission(for: peer.ip, now: now),
              permission.admits(port: peer.port),
              allocation.toClientBudget.take(length, nanoseconds: nanoseconds) else {
            counters.dropped += 1
            return
        }
        let sink = allocation.sink
        if let number = allocation.channelByPeer[peer], let binding = allocation.channels[number], binding.expiry > now {
            let padded = sink.isStream ? (length + 3) & ~3 : length
            var out = sink.channel.allocator.buffer(capacity: 4 + padded)
            out.writeInteger(number)
            out.writeInteger(UInt16(length))
            out.writeImmutableBuffer(envelope.data)
            if padded > length { out.writeRepeatingByte(0, count: padded - length) }
            sink.write(out)
        } else {
            let transactionID = STUNTransactionID.random()
            let indication = STUNMessage(.data, .indication, transactionID: transactionID, attributes: [
                .xorAddress(.xorPeerAddress, peer, transactionID: transactionID),
                STUNAttribute(type: .data, value: Array(envelope.data.readableBytesView)),
            ])
            let bytes = indication.encode()
            var out = sink.channel.allocator.buffer(capacity: bytes.count)
            out.writeBytes(bytes)
            sink.write(out)
        }
        counters.packetsToClients += 1
        counters.bytesToClients += length
    }

    @inline(__always)
    private func markForFlush(_ allocation: Allocation) {
        if !allocation.relayNeedsFlush {
            allocation.relayNeedsFlush = true
            relaysToFlush.append(allocation)
        }
    }

    /// End of a read batch on a relay socket: its client socket is flushed once at the end of
    /// this event loop tick (tasks run after the tick's I/O).
    func flushClientSocketAtEndOfTick(_ channel: any Channel) {
        guard clientSocketsMarked.insert(ObjectIdentifier(channel)).inserted else { return }
        if clientSocketsToFlush.isEmpty {
            eventLoop.execute { [self] in
                for socket in clientSocketsToFlush { socket.flush() }
                clientSocketsToFlush.removeAll(keepingCapacity: true)
                clientSocketsMarked.removeAll(keepingCapacity: true)
            }
        }
        clientSocketsToFlush.append(channel)
    }

    /// End of a read batch on a client socket: one flush per relay socket written.
    func flushRelays() {
        for allocation in relaysToFlush {
            allocation.relayNeedsFlush = false
            allocation.relayChannel?.flush()
        }
        relaysToFlush.removeAll(keepingCapacity: true)
    }
}
