/// A Pachyderm glob pattern over paths, as in `glob file` and a pipeline input's `glob`:
///
/// - `*` any run of characters within one component (no `/`), `?` one character other than `/`;
/// - `[abc]`, `[a-z]`, `[!a-z]` one character (other than `/`) in or not in the class;
/// - `**` any run of characters across components (`/**` is everything below the root);
/// - `{a,b}` either alternative (nesting allowed), as in Pachyderm's glob library;
/// - `\x` the character `x` itself; everything else matches itself.
///
/// Patterns are cleaned like paths (a leading `/` is added, repeated slashes collapse, a trailing slash
/// is dropped). `/` matches the root and only the root; `/*` matches the top-level entries, `/*/*` the
/// entries one level below them. A pattern that does not parse is `invalidArgument` with the position.
///
/// Matching runs each alternative as a small automaton over the path's characters: linear in the path
/// for each pattern state, with no backtracking blow-up.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        /// `?`
        case one
        /// `[…]`: inclusive scalar ranges.
        case set([ClosedRange<UInt32>], negated: Bool)
        /// `*`
        case star
        /// `**`
        case globstar
    }

    /// The most bytes in a pattern.
    static let maxPatternBytes = 8192
    /// The most alternatives `{…}` may expand to.
    static let maxAlternatives = 1024

    /// The cleaned pattern text.
    public let pattern: String
    /// The pattern with braces expanded: a path matches when any alternative does.
    let alternatives: [[Token]]

    /// Parses `text`; `invalidArgument` naming the problem and its position.
    public init(_ text: String) throws(PFSError) {
        guard text.utf8.count <= Self.maxPatternBytes else {
            throw .invalidArgument("invalid glob pattern: it is \(text.utf8.count) bytes long; the limit is \(Self.maxPatternBytes)")
        }
        guard !text.utf8.contains(0) else { throw .invalidArgument("invalid glob pattern: it contains NUL (U+0)") }
        let cleaned = Self.clean(text)
        var parser = GlobParser(pattern: cleaned)
        pattern = cleaned
        alternatives = try parser.parse()
    }

    public var description: String { pattern }

    /// True when the pattern matches `path`. The root matches only the pattern `/`.
    public func matches(_ path: PFSPath) -> Bool {
        if path.isRoot { return pattern == "/" }
        let text = Array(path.description.unicodeScalars)
        return alternatives.contains { Self.run($0, over: text).contains($0.count) }
    }

    /// False when no path strictly below `directory` can match, so a walk need not enter it. May be true
    /// when none does (it looks at the pattern, not at the tree).
    public func mayMatchBelow(_ directory: PFSPath) -> Bool {
        let prefix = Array((directory.isRoot ? "/" : directory.description + "/").unicodeScalars)
        // Alive with a token left to consume: some longer text may still match.
        return alternatives.contains { tokens in Self.run(tokens, over: prefix).contains { $0 < tokens.count } }
    }

    /// Adds a leading `/`, collapses repeated slashes and drops a trailing one. Escapes are kept, so
    /// `\/` is left alone (it matches a `/`, which is as good as a plain one).
    static func clean(_ text: String) -> String {
        var result = "/"
        var previousSlash = true
        var escaped = false
        for scalar in text.unicodeScalars {
            if scalar == "/" && !escaped {
                if !previousSlash { result.unicodeScalars.append("/") }
                previousSlash = true
                continue
            }
            escaped = !escaped && scalar == "\\"
            previousSlash = false
            result.unicodeScalars.append(scalar)
        }
        if result.unicodeScalars.count > 1 && previousSlash { result.unicodeScalars.removeLast() }
        return result
    }

    /// The pattern positions reached after reading all of `text`, as a sorted list of token indexes
    /// (`tokens.count` means the whole pattern matched).
    static func run(_ tokens: [Token], over text: [Unicode.Scalar]) -> [Int] {
        var states = closure([0], tokens)
        for scalar in text {
            var next = [Bool](repeating: false, count: tokens.count + 1)
            for state in states where state < tokens.count {
                switch tokens[state] {
                case .literal(let expected):
                    if expected == scalar { next[state + 1] = true }
                case .one:
                    if scalar != "/" { next[state + 1] = true }
                case .set(let ranges, let negated):
                    if scalar != "/" && ranges.contains(where: { $0.contains(scalar.value) }) != negated { next[state + 1] = true }
                case .star:
                    if scalar != "/" { next[state] = true }
                case .globstar:
                    next[state] = true
                }
            }
            states = closure(next.indices.filter { next[$0] }, tokens)
            if states.isEmpty { return [] }
        }
        return states
    }

    /// `states` plus every position reachable by skipping stars (which may match nothing).
    private static func closure(_ states: [Int], _ tokens: [Token]) -> [Int] {
        var reached = [Bool](repeating: false, count: tokens.count + 1)
        for start in states {
            var state = start
            reached[state] = true
            while state < tokens.count, tokens[state] == .star || tokens[state] == .globstar {
                state += 1
                reached[state] = true
            }
        }
        return reached.indices.filter { reached[$0] }
    }
}
