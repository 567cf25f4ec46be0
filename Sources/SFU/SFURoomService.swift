import Foundation
import Logging
import Transport

/// The SFU core behind `RoomService`: rooms spread over media workers, reached from the
/// control plane by posting work to the room's worker (`MediaWorker.run`).
public final class SFURoomService: RoomService {
    public let configuration: SFUConfiguration
    private let pool: MediaWorkerPool
    private let context: DTLSContext
    private let directory = RoomDirectory()
    private let logger = Logger(label: "sfu.rooms")
    private let metrics: SFUMetrics

    public init(configuration: SFUConfiguration, certificate: DTLSCertificate? = nil, metrics: SFUMetrics = SFUMetrics()) throws {
        self.configuration = configuration
        self.metrics = metrics
        pool = MediaWorkerPool(count: configuration.workers > 0 ? configuration.workers : ProcessInfo.processInfo.activeProcessorCount)
        context = try DTLSContext(certificate: certificate ?? DTLSCertificate.generate(), srtpProfiles: configuration.srtpProfiles)
    }

    /// Ends every session (participants get `sessionEnded(.serverShutdown)`) and stops the workers.
    public func shutdown() async {
        for room in await directory.closeAll() {
            await room.worker.run { room.value.closeAll(reason: .serverShutdown) }
        }
        pool.stop()
    }

    /// Rooms and participants now (for health and tests).
    public func counts() async -> (rooms: Int, participants: Int) { await directory.counts() }

    public func join(_ request: JoinRequest, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult {
        // A room emptied and closed between lookup and admission is retried on a fresh one.
        for _ in 0..<4 {
            guard let room = await directory.room(named: request.room, make: makeRoom) else { throw .shuttingDown }
            if let result = try await room.worker.run({ () throws(RoomError) -> JoinResult? in
                try room.value.admit(request, events: events)
            }) {
                await directory.register(participant: result.participantID, in: room)
                return result
            }
            // Closed under us: forget it now (its own removal may still be on its way), so the
            // next attempt creates a fresh room of that name.
            await directory.forget(room: room, named: request.room)
        }
        throw .transportFailed("the room kept closing; try again")
    }

    public func resume(participantID: String, resumeToken: String, events: @escaping @Sendable (RoomEvent) -> Void) async throws(RoomError) -> JoinResult {
        guard let room = await directory.room(of: participantID) else { throw .resumeRefused }
        return try await room.worker.run { () throws(RoomError) -> JoinResult in
            try room.value.resume(participantID, resumeToken: resumeToken, events: events)
        }
    }

    public func publish(participantID: String, connection: Int, offer: String) async throws(RoomError) -> PublishResult {
        let room = try await room(of: participantID)
        return try await room.worker.run { () throws(RoomError) -> PublishResult in
            try room.value.publish(participantID, connection: connection, offer: offer)
        }
    }

    public func answerSubscriberOffer(participantID: String, connection: Int, answer: String, version: Int) async throws(RoomError) {
        let room = try await room(of: participantID)
        try await room.worker.run { () throws(RoomError) in
            try room.value.answerSubscriberOffer(participantID, connection: connection, answer: answer, version: version)
        }
    }

    public func restartSubscriberICE(participantID: String, connection: Int) async throws(RoomError) {
        let room = try await room(of: participantID)
        try await room.worker.run { () throws(RoomError) in try room.value.restartSubscriberICE(participantID, connection: connection) }
    }

    public func addCandidate(participantID: String, connection: Int, target: PeerRole, candidate: String) async throws(RoomError) {
        let room = try await room(of: participantID)
        try await room.worker.run { () throws(RoomError) in
            try room.value.addCandidate(participantID, connection: connection, target: target, candidate: candidate)
        }
    }

    public func setVideoSize(participantID: String, connection: Int, trackID: String, width: Int, height: Int) async throws(RoomError) {
        let room = try await room(of: participantID)
        try await room.worker.run { () throws(RoomError) in
            try room.value.setVideoSize(participantID, connection: connection, trackID: trackID, width: width, height: height)
        }
    }

    public func setMuted(participantID: String, connection: Int, trackID: String, muted: Bool) async throws(RoomError) {
        let room = try await room(of: participantID)
        try await room.worker.run { () throws(RoomError) in
            try room.value.setMuted(participantID, connection: connection, trackID: trackID, muted: muted)
        }
    }

    public func leave(participantID: String, reason: LeaveReason) async {
        guard let room = await directory.room(of: participantID) else { return }
        await room.worker.run { room.value.leave(participantID, reason: reason) }
        await directory.participantGone(participantID)
    }

    public func disconnected(participantID: String, connection: Int) async {
        guard let room = await directory.room(of: participantID) else { return }
        await room.worker.run { room.value.disconnected(participantID, connection: connection) }
    }

    // MARK: - Statistics

    public func statistics(room name: String) async -> RoomStatistics? {
        guard let room = await directory.existingRoom(named: name) else { return nil }
        return await room.worker.run { room.value.statistics }
    }

    public func serviceStatistics() async -> ServiceStatistics {
        let rooms = await directory.allRooms()
        var statistics = ServiceStatistics()
        for room in rooms { statistics.rooms.append(await room.worker.run { room.value.statistics }) }
        statistics.rooms.sort { $0.name < $1.name }
        for worker in pool.workers {
            let roomCount = statistics.rooms.filter { $0.worker == worker.index }.count
            statistics.workers.append(await worker.run {
                WorkerStatistics(index: worker.index, cpuSeconds: Double(worker.threadCPUNanoseconds()) / 1e9,
                                 packetsForwarded: worker.packetsForwarded, forwardingLatency: worker.forwardingLatency,
                                 receiveWait: worker.receiveWait, directDatagrams: worker.directDatagrams,
                                 glibIterations: worker.glibIterations, heldDatagramsSent: worker.heldDatagramsSent,
                                 heldDatagramsInRuns: worker.heldDatagramsInRuns, heldRuns: worker.heldRuns,
                                 heldDatagramsDropped: worker.heldDatagramsDropped, rooms: roomCount)
            })
        }
        return statistics
    }

    // MARK: -

    private func room(of participantID: String) async throws(RoomError) -> WorkerBound<MediaRouter> {
        guard let room = await directory.room(of: participantID) else { throw .unknownParticipant }
        return room
    }

    /// Called by `RoomDirectory` on its actor for a room name not yet known.
    private var makeRoom: @Sendable (String, Int) async -> WorkerBound<MediaRouter> {
        { [pool, context, configuration, directory, metrics] name, index in
            let worker = pool.worker(for: index)
            return await worker.run {
                WorkerBound(MediaRouter(name: name, worker: worker, context: context, configuration: configuration,
                                        metrics: metrics) { id in
                    // The SFU ended a participant on its own (media lost, no resume, replaced).
                    Task { await directory.participantGone(id) }
                }, worker: worker)
            }
        }
    }
}

/// Which rooms exist and where each participant is: the control plane's only shared state.
actor RoomDirectory {
    private var rooms: [String: Task<WorkerBound<MediaRouter>, Never>] = [:]
    private var participants: [String: WorkerBound<MediaRouter>] = [:]
    private var created = 0
    private var closed = false

    func room(named name: String, make: @escaping @Sendable (String, Int) async -> WorkerBound<MediaRouter>) async -> WorkerBound<MediaRouter>? {
        guard !closed else { return nil }
        if let pending = rooms[name] { return await pending.value }
        let index = created
        created += 1
        // The task is stored before it runs, so concurrent joins of a new room share it.
        let task = Task { await make(name, index) }
        rooms[name] = task
        return await task.value
    }

    func register(participant id: String, in room: WorkerBound<MediaRouter>) { participants[id] = room }

    /// Drops `room` from the names if it is still the one registered under `name`.
    func forget(room: WorkerBound<MediaRouter>, named name: String) async {
        guard let task = rooms[name], await task.value === room else { return }
        rooms[name] = nil
    }
    func unregister(participant id: String) { participants[id] = nil }
    func room(of participant: String) -> WorkerBound<MediaRouter>? { participants[participant] }

    /// Forgets a participant the room no longer has, and the room once it is empty.
    func participantGone(_ id: String) async {
        guard let room = participants.removeValue(forKey: id) else { return }
        let closed = await room.worker.run { room.value.closeIfEmpty() }
        guard closed else { return }
        for (name, task) in rooms where await task.value === room { rooms[name] = nil }
    }

    func closeAll() async -> [WorkerBound<MediaRouter>] {
        closed = true
        var all: [WorkerBound<MediaRouter>] = []
        for task in rooms.values { all.append(await task.value) }
        rooms = [:]
        participants = [:]
        return all
    }

    func counts() -> (rooms: Int, participants: Int) { (rooms.count, participants.count) }

    /// The room of that name if it exists (never creates one).
    func existingRoom(named name: String) async -> WorkerBound<MediaRouter>? {
        guard let task = rooms[name] else { return nil }
        return await task.value
    }

    func allRooms() async -> [WorkerBound<MediaRouter>] {
        var all: [WorkerBound<MediaRouter>] = []
        for task in rooms.values { all.append(await task.value) }
        return all
    }
}
