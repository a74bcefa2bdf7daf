/// The version of this `pachctl` build, printed by `pachctl version` beside the server's.
public enum PachctlVersion {
    /// Semantic version; development builds carry `-dev`, as pachd's do.
    public static let current = "0.1.0-dev"
}
