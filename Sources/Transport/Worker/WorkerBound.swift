/// A value that belongs to one media worker and may be touched only on its thread.
///
/// Control-plane code holds worker-owned objects (transports, sessions) through this wrapper and
/// reaches them by posting to the worker; the precondition catches an access from elsewhere.
/// SwiftNIO's NIOLoopBound plays the same role for event loops.
public struct WorkerBound<Value>: @unchecked Sendable {
    public let worker: MediaWorker
    private let storage: Value

    public init(_ value: Value, worker: MediaWorker) {
        precondition(worker.isCurrent, "a WorkerBound value must be created on its worker")
        self.worker = worker
        storage = value
    }

    public var value: Value {
        precondition(worker.isCurrent, "a WorkerBound value must be used on its worker")
        return storage
    }

    /// Whether two handles hold the same object; needs no worker (identity only).
    public static func === (lhs: WorkerBound, rhs: WorkerBound) -> Bool where Value: AnyObject {
        lhs.storage === rhs.storage
    }
}
