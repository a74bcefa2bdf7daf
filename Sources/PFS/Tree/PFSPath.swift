/// A validated, normalized absolute path inside a commit: `/` (the root) or `/name/name/…`.
///
/// Parsing normalizes what is unambiguous (repeated slashes collapse, a trailing slash is dropped, a
/// missing leading slash is added, as Pachyderm's path cleaning does) and refuses what is not: `.` and
/// `..` components, NUL, components over 255 bytes, paths over 4096 bytes, more than 256 levels.
/// See `PathRules` for each limit and why.
///
/// Names are compared by their UTF-8 bytes, never by Swift's `String` equality (which treats
/// canonically equivalent spellings such as precomposed and decomposed `é` as equal): two byte-distinct
/// names are two files, as on a POSIX file system, and a tree object's bytes must not depend on Unicode
/// tables. Paths order by components (`/a/b` < `/a-`), so a pre-order walk of sorted directories visits
/// paths in this order.
public struct PFSPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The names from the root down; empty for the root.
    public let components: [String]

    /// The root directory, `/`.
    public static let root = PFSPath(trusted: [])

    /// Parses and normalizes `text`; `invalidArgument` naming the broken rule otherwise.
    public init(_ text: String) throws(PFSError) {
        guard !text.isEmpty else { throw PathRules.error(text, "it is empty; the root is '/'") }
        let names = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(Substring($0)) }
        try self.init(components: names, text: text)
    }

    /// A path from its names; each is checked as a path component.
    public init(components names: [String]) throws(PFSError) {
        try self.init(components: names, text: nil)
    }

    private init(components names: [String], text: String?) throws(PFSError) {
        guard names.count <= PathRules.maxDepth else {
            throw PathRules.error(text ?? PathRules.join(names),
                                  "it is \(names.count) levels deep; the limit is \(PathRules.maxDepth)")
        }
        for name in names {
            if let problem = PathRules.problem(withName: name) {
                throw PathRules.error(text ?? PathRules.join(names), problem)
            }
        }
        let bytes = names.reduce(0) { $0 + 1 + $1.utf8.count }
        guard bytes <= PathRules.maxPathBytes else {
            throw PathRules.error(text ?? PathRules.join(names), "it is \(bytes) bytes long; the limit is \(PathRules.maxPathBytes)")
        }
        components = names
    }

    /// For names already validated (a child of a valid path whose name came from a decoded tree object).
    init(trusted names: [String]) {
        components = names
    }

    /// True for `/`.
    public var isRoot: Bool { components.isEmpty }

    /// Levels below the root: 0 for `/`, 1 for `/a`.
    public var depth: Int { components.count }

    /// The last component; nil for the root.
    public var name: String? { components.last }

    /// The directory holding this path; nil for the root.
    public var parent: PFSPath? {
        isRoot ? nil : PFSPath(trusted: Array(components.dropLast()))
    }

    /// This path with `name` appended; `invalidArgument` when `name` is not a valid component or the
    /// result breaks a limit.
    public func appending(_ name: String) throws(PFSError) -> PFSPath {
        try PFSPath(components: components + [name])
    }

    /// `self` extended by a name known to be valid (from a decoded tree object). The caller MUST make
    /// sure the depth and length limits hold, or accept a path over them (reads of stored trees).
    func child(_ name: String) -> PFSPath {
        PFSPath(trusted: components + [name])
    }

    /// True when `other` lies strictly below this path (`/a` is an ancestor of `/a/b`, not of `/a` or `/ab`).
    public func isAncestor(of other: PFSPath) -> Bool {
        other.components.count > components.count
            && zip(components, other.components).allSatisfy { PathRules.sameName($0, $1) }
    }

    /// The path text: `/` or `/a/b`.
    public var description: String {
        isRoot ? "/" : "/" + components.joined(separator: "/")
    }

    public static func == (lhs: PFSPath, rhs: PFSPath) -> Bool {
        lhs.components.count == rhs.components.count
            && zip(lhs.components, rhs.components).allSatisfy { PathRules.sameName($0, $1) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(components.count)
        for name in components { PathRules.hash(name, into: &hasher) }
    }

    /// Component by component, each by UTF-8 bytes; an ancestor sorts before its descendants.
    public static func < (lhs: PFSPath, rhs: PFSPath) -> Bool {
        for (left, right) in zip(lhs.components, rhs.components) where !PathRules.sameName(left, right) {
            return PathRules.nameBefore(left, right)
        }
        return lhs.components.count < rhs.components.count
    }
}
