import Testing
@testable import Jobs

@Suite struct SpecDurationTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("1m30s", .seconds(90)), ("1.5h", .seconds(5_400)), ("250ms", .milliseconds(250)),
        ("2h45m", .seconds(9_900)), ("10us", .microseconds(10)), ("10µs", .microseconds(10)), ("7ns", .nanoseconds(7)),
        (".5s", .milliseconds(500)), ("1h0m0s", .seconds(3_600)),
    ])
    func parses(text: String, duration: Duration) {
        #expect(SpecDuration.parse(text) == duration, "\(text)")
    }

    @Test(arguments: ["", "5", "s", "1x", "1.2.3s", "-1s", "1 s", "9999999999999h", "1s2"])
    func refuses(text: String) {
        #expect(SpecDuration.parse(text) == nil, "\(text)")
    }

    @Test(arguments: [Duration.seconds(90), .seconds(3_600), .seconds(3_661), .milliseconds(250), .milliseconds(1_500),
                      .nanoseconds(7), .seconds(0)])
    func formatsWhatItParses(duration: Duration) {
        let text = SpecDuration.format(duration)
        #expect(SpecDuration.parse(text) == duration, "\(duration) → \(text)")
    }
}
