import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free TCP ports on 127.0.0.1 for a test cluster.
///
/// Each candidate is checked by binding it. Candidates come from below the kernel's ephemeral range
/// (`ip_local_port_range`), not from binding port 0: a node that is killed and restarted must bind
/// its port again, and an ephemeral port may meanwhile have become the local end of some outgoing
/// connection (a peer link, a pachctl call), which would make the restart fail at random. The ports
/// of `scripts/cluster.sh` (30650-30899) are avoided so a local cluster can run beside the tests.
enum FreePorts {
    static let lowest = 20_000
    static let reserved = 30_650..<30_900

    /// `count` distinct free ports. The sockets that proved them free are held until all are chosen.
    static func take(_ count: Int) throws -> [Int] {
        let highest = ephemeralLow() - 1
        precondition(highest > lowest + count * 10, "no port range below the ephemeral ports (\(highest))")
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < count * 200 else { throw HarnessError("found only \(ports.count) of \(count) free ports") }
            let port = Int.random(in: lowest...highest)
            if reserved.contains(port) || ports.contains(port) { continue }
            if let fd = bindLoopback(port: port) {
                sockets.append(fd)
                ports.append(port)
            }
        }
        return ports
    }

    /// Binds 127.0.0.1:`port` (as a server would, with SO_REUSEADDR) and returns the socket, or nil.
    static func bindLoopback(port: Int) -> Int32? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // Listening too: a port that someone else listens on with SO_REUSEADDR binds but cannot listen.
        guard bound == 0, listen(fd, 1) == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// The first port of the kernel's ephemeral range (32768 when it cannot be read).
    static func ephemeralLow() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
            let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
            let value = Int(first)
        else { return 32_768 }
        return value
    }
}
