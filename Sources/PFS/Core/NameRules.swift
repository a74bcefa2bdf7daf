/// The rules repo and branch names share. Kept to ASCII letters, digits, `_` and `-` (Pachyderm's rules)
/// because names become path segments under a FUSE mount, URL parts and container mount points, where
/// `/`, `.`, `..`, spaces and non-ASCII characters each cause a different kind of trouble.
enum NameRules {
    /// The longest name, in characters. 63 fits a DNS label, so a name can become a host or label part.
    static let maxLength = 63

    /// Why `text` is not a valid name, or nil when it is.
    static func problem(with text: String) -> String? {
        if text.isEmpty { return "it is empty" }
        let count = text.utf8.count
        if count > maxLength { return "it is \(count) characters long; the limit is \(maxLength)" }
        for scalar in text.unicodeScalars where !isAllowed(scalar) {
            return "it contains \(quoted(scalar)); use only letters a-z A-Z, digits 0-9, '_' and '-'"
        }
        return nil
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": return true
        default: return false
        }
    }

    /// True for text of exactly 32 hexadecimal digits in any case: such a branch name would read as a commit id.
    static func looksLikeCommitID(_ text: String) -> Bool {
        text.utf8.count == CommitID.textLength && text.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit)
    }

    /// A character for an error message; control and invisible characters spelled as code points.
    static func quoted(_ scalar: Unicode.Scalar) -> String {
        if scalar.isASCII && scalar.value >= 0x21 && scalar.value < 0x7F { return "'\(Character(scalar))'" }
        return "U+" + String(scalar.value, radix: 16, uppercase: true)
    }
}
