/// The rules for paths and their components, shared by `PFSPath`, tree-object decoding and the builder.
enum PathRules {
    /// The longest component in UTF-8 bytes: Linux's `NAME_MAX`, so every name can be a file under a
    /// FUSE mount or in a datum's input directory.
    static let maxNameBytes = 255
    /// The longest path in UTF-8 bytes (`/` separators included): Linux's `PATH_MAX`.
    static let maxPathBytes = 4096
    /// The deepest path. Bounds every recursion and every stack over a tree (walk, build, diff).
    static let maxDepth = 256

    /// Why `name` is not a valid component, or nil when it is.
    static func problem(withName name: String) -> String? {
        let count = name.utf8.count
        if count == 0 { return "it has an empty component" }
        if name == "." || name == ".." { return "it has a '\(name)' component; paths are absolute and are not resolved" }
        if count > maxNameBytes { return "the component '\(name.prefix(32))…' is \(count) bytes long; the limit is \(maxNameBytes)" }
        if name.utf8.contains(0) { return "it contains NUL (U+0)" }
        if name.utf8.contains(UInt8(ascii: "/")) { return "the component '\(escaped(name))' contains '/'" }
        return nil
    }

    /// The error for a path that breaks a rule; the text is shown with control characters spelled out.
    static func error(_ text: String, _ why: String) -> PFSError {
        .invalidArgument("invalid path '\(escaped(String(text.prefix(300))))': \(why)")
    }

    static func join(_ names: [String]) -> String {
        "/" + names.joined(separator: "/")
    }

    /// Text for a message: control characters as `\u{…}`, so a NUL or newline cannot cut a log line.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Byte equality (not `String`'s canonical equivalence).
    @inline(__always)
    static func sameName(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8)
    }

    /// Feeds the name's bytes and length to `hasher` (byte identity, matching `sameName`).
    @inline(__always)
    static func hash(_ name: String, into hasher: inout Hasher) {
        var name = name
        name.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(name.utf8.count)
    }

    /// Byte order: the order of entries in a tree object.
    @inline(__always)
    static func nameBefore(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

/// A name as a dictionary key with byte equality and hashing (see `PFSPath` for why not `String`'s).
struct NameKey: Hashable, Comparable {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool { PathRules.sameName(lhs.text, rhs.text) }

    static func < (lhs: NameKey, rhs: NameKey) -> Bool { PathRules.nameBefore(lhs.text, rhs.text) }

    func hash(into hasher: inout Hasher) {
        PathRules.hash(text, into: &hasher)
    }
}
