import Foundation
import PachctlKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress bar on standard error, redrawn in place a few times a second, only when standard error
/// is a terminal (nothing at all when piped or redirected, so scripts and logs stay clean).
final class ProgressDisplay: Sendable {
    private struct State {
        var label: String
        var done: UInt64 = 0
        var total: UInt64?
        var started = ContinuousClock.now
        var drawn = false
        var finished = false
    }

    private let state: Mutex<State>
    private let enabled: Bool
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    /// A display for a transfer of `total` bytes (nil: unknown); inert unless stderr is a terminal and
    /// `enabled`.
    init(label: String, total: UInt64?, enabled: Bool = true) {
        state = Mutex(State(label: label, total: total))
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
        guard self.enabled else { return }
        ticker.withLock { task in
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    self?.draw(final: false)
                }
            }
        }
    }

    /// Adds transferred bytes.
    func add(_ bytes: Int) {
        state.withLock { $0.done += UInt64(bytes) }
    }

    /// Starts over (a retry on another node sends everything again).
    func reset() {
        state.withLock { state in
            state.done = 0
            state.started = .now
        }
    }

    /// Draws the last line and moves to a new one (only if anything was drawn or `always`).
    func finish(always: Bool = true) {
        ticker.withLock { $0?.cancel() }
        draw(final: true, always: always)
    }

    /// Clears the line (the command failed: the error line follows).
    func abandon() {
        ticker.withLock { $0?.cancel() }
        guard enabled else { return }
        let drawn = state.withLock { state -> Bool in
            state.finished = true
            return state.drawn
        }
        if drawn { Self.write("\r\u{1B}[K") }
    }

    private func draw(final: Bool, always: Bool = false) {
        guard enabled else { return }
        let line = state.withLock { state -> String? in
            if state.finished { return nil }
            if final { state.finished = true }
            if final && !state.drawn && !always { return nil }
            state.drawn = true
            let elapsed = ContinuousClock.now - state.started
            let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            return Progress(label: state.label, doneBytes: state.done, totalBytes: state.total, elapsedNanos: nanos)
                .line(width: Self.width())
        }
        guard let line else { return }
        Self.write("\r\u{1B}[K" + line + (final ? "\n" : ""))
    }

    private static func width() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
