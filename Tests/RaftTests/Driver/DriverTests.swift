import Testing

/// Every driver test, so that `swift test --filter Driver` selects them. Serialized: the node tests run
/// real clusters on real time, steadier one at a time on a 2-core machine.
@Suite(.serialized)
enum DriverTests {}
