/// The sequential specification of one key of the store: what a single, non-concurrent server would
/// answer to each request. The checker asks whether a concurrent history is explained by some order of
/// calls run through this specification.
///
/// `Hashable` because the checker memoizes (linearized calls, register) pairs it has already explored.
struct KVRegister: Hashable, Sendable {
    /// `nil` while the key is absent: before any write, and after a delete.
    var value: String?

    init(value: String? = nil) {
        self.value = value
    }

    /// Runs one request and returns the register after it and the answer a correct store gives.
    ///
    /// Pure, so the search can try a request and throw the result away when it backtracks.
    func applying(_ input: KVInput) -> (next: KVRegister, output: KVOutput) {
        switch input {
        case .get:
            return (self, .value(value))
        case .put(let new):
            return (KVRegister(value: new), .ok)
        case .delete:
            return (KVRegister(value: nil), .ok)
        case .cas(let expected, let new):
            guard value == expected else {
                return (self, .casResult(false))
            }
            return (KVRegister(value: new), .casResult(true))
        }
    }
}
