/// The version of this pachd build, answered by admin.API/Version and sent to peers in Hello.
enum PachdVersion {
    /// Semantic version; development builds carry the `-dev` suffix (admin.proto).
    static let current = "0.1.0-dev"
}
