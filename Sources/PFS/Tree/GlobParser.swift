/// Parses a cleaned glob pattern into its alternatives (braces expanded), each a list of tokens.
struct GlobParser {
    private let pattern: String
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(pattern: String) {
        self.pattern = pattern
        self.scalars = Array(pattern.unicodeScalars)
    }

    mutating func parse() throws(PFSError) -> [[Glob.Token]] {
        let alternatives = try parseSequence(nested: false)
        precondition(position == scalars.count, "glob parser stopped at \(position) of \(scalars.count) in '\(pattern)'")
        return alternatives
    }

    private func error(_ why: String, at offset: Int) -> PFSError {
        .invalidArgument("invalid glob pattern '\(PathRules.escaped(pattern))': \(why) at character \(offset + 1)")
    }

    /// Tokens up to the end, or (when `nested`) up to an unescaped `,` or `}` left for the caller.
    /// Returns every expansion of the braces inside.
    private mutating func parseSequence(nested: Bool) throws(PFSError) -> [[Glob.Token]] {
        var expansions: [[Glob.Token]] = [[]]
        func appendAll(_ tokens: [Glob.Token]) {
            for index in expansions.indices { expansions[index] += tokens }
        }
        while position < scalars.count {
            let scalar = scalars[position]
            switch scalar {
            case "," where nested, "}" where nested:
                return expansions
            case "}":
                throw error("'}' without a matching '{' (write '\\}' for the character)", at: position)
            case "\\":
                guard position + 1 < scalars.count else { throw error("a '\\' escapes nothing", at: position) }
                appendAll([.literal(scalars[position + 1])])
                position += 2
            case "?":
                appendAll([.one])
                position += 1
            case "*":
                var end = position
                while end < scalars.count && scalars[end] == "*" { end += 1 }
                appendAll([end - position >= 2 ? .globstar : .star])
                position = end
            case "[":
                appendAll([try parseSet()])
            case "{":
                let choices = try parseBraces()
                var combined: [[Glob.Token]] = []
                for prefix in expansions {
                    for choice in choices { combined.append(prefix + choice) }
                }
                guard combined.count <= Glob.maxAlternatives else {
                    throw error("the braces expand to more than \(Glob.maxAlternatives) alternatives", at: position - 1)
                }
                expansions = combined
            default:
                appendAll([.literal(scalar)])
                position += 1
            }
        }
        return expansions
    }

    /// `{a,b,…}` starting at `position`; the expansions of every alternative.
    private mutating func parseBraces() throws(PFSError) -> [[Glob.Token]] {
        let open = position
        position += 1
        var choices: [[Glob.Token]] = []
        while true {
            choices += try parseSequence(nested: true)
            guard choices.count <= Glob.maxAlternatives else {
                throw error("the braces expand to more than \(Glob.maxAlternatives) alternatives", at: open)
            }
            guard position < scalars.count else { throw error("unclosed '{'", at: open) }
            position += 1
            if scalars[position - 1] == "}" { return choices }
        }
    }

    /// `[…]` starting at `position`.
    private mutating func parseSet() throws(PFSError) -> Glob.Token {
        let open = position
        position += 1
        var negated = false
        if position < scalars.count && scalars[position] == "!" {
            negated = true
            position += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard position < scalars.count else { throw error("unclosed '['", at: open) }
            if scalars[position] == "]" {
                position += 1
                break
            }
            let low = try setMember(open: open)
            if position + 1 < scalars.count && scalars[position] == "-" && scalars[position + 1] != "]" {
                position += 1
                let high = try setMember(open: open)
                guard low.value <= high.value else {
                    throw error("the range '\(low)-\(high)' runs backwards", at: position - 1)
                }
                ranges.append(low.value...high.value)
            } else {
                ranges.append(low.value...low.value)
            }
        }
        guard !ranges.isEmpty else { throw error("an empty character class '[]'", at: open) }
        return .set(ranges, negated: negated)
    }

    /// One character of a class, unescaping `\x`; `/` is refused (a class matches within a component).
    private mutating func setMember(open: Int) throws(PFSError) -> Unicode.Scalar {
        var scalar = scalars[position]
        if scalar == "\\" {
            guard position + 1 < scalars.count else { throw error("unclosed '['", at: open) }
            position += 1
            scalar = scalars[position]
        }
        guard scalar != "/" else { throw error("a character class cannot contain '/'", at: position) }
        position += 1
        return scalar
    }
}
