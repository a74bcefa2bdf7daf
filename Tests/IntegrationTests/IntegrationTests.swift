import Testing

/// Integration tests: real `pachd` processes on 127.0.0.1 (see `Harness/TestCluster.swift`), driven
/// through `pachctl` as a user would. They run one at a time: several clusters at once on a 2-core
/// machine would make elections slow and timings meaningless. `scripts/test.sh` runs this target after
/// the unit tests, alone, for the same reason.
///
/// Skipped (with the reason printed) when pachd and pachctl are not built.
@Suite("Integration", .serialized, .enabled(if: Binaries.available, "pachd and pachctl are not built"))
struct IntegrationTests {}
