/// A run-time failure ArgumentParser prints as "Error: …" without the usage text (which a
/// `ValidationError` adds, and which says nothing about a bad key, file or busy port).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
