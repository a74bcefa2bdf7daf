/// A peer message that cannot be turned into Raft's types: a newer or broken sender. The receiver
/// refuses the whole request (INVALID_ARGUMENT) rather than stepping a guess.
struct WireError: Error, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
