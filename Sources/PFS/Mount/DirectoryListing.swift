import Foundation

/// The entries of one open directory, filled while the listing streams in and read by `readdir` a
/// kernel buffer at a time: a large directory is neither fetched nor held whole before the first page
/// is shown.
final class DirectoryListing: @unchecked Sendable {
    private let condition = NSCondition()
    private var entries: [FuseDirectoryEntry] = [FuseDirectoryEntry(name: ".", attributes: nil),
                                                 FuseDirectoryEntry(name: "..", attributes: nil)]
    private var done = false
    private var failure: FuseError?

    func append(_ more: [FuseDirectoryEntry]) {
        guard !more.isEmpty else { return }
        condition.lock()
        entries += more
        condition.broadcast()
        condition.unlock()
    }

    /// The listing is complete (or failed: readers see the error once they reach its end).
    func finish(_ error: FuseError?) {
        condition.lock()
        done = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Emits entries from `index` until `emit` answers false or the listing ends, waiting for entries
    /// still on their way.
    func emit(from index: Int, _ emit: (FuseDirectoryEntry) -> Bool) throws(FuseError) {
        var position = index
        while true {
            condition.lock()
            while position >= entries.count && !done { condition.wait() }
            if position >= entries.count {
                let failure = self.failure
                condition.unlock()
                if let failure, position == index { throw failure }
                return
            }
            let batch = Array(entries[position..<min(entries.count, position + 512)])
            condition.unlock()
            for entry in batch {
                guard emit(entry) else { return }
                position += 1
            }
        }
    }
}
