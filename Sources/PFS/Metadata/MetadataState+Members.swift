/// The member records: registration (addresses), liveness verdicts and removal.
extension MetadataState {
    /// The longest address accepted, in UTF-8 bytes.
    static let addressBytesMax = 255

    /// Records `id` at these addresses, replacing earlier ones; a new or re-registered member is up.
    mutating func registerMember(_ id: UInt64, apiAddress: String, peerAddress: String,
                                 atNanos: UInt64) throws(PFSError) -> MemberInfo {
        try Self.checkMember(id)
        try Self.checkAddress(apiAddress, what: "api address")
        try Self.checkAddress(peerAddress, what: "peer address")
        if let existing = members[id], existing.apiAddress == apiAddress, existing.peerAddress == peerAddress,
           existing.isUp {
            return existing
        }
        let info = MemberInfo(id: id, apiAddress: apiAddress, peerAddress: peerAddress, isUp: true,
                              changedAtNanos: atNanos)
        members[id] = info
        return info
    }

    /// Records the leader's verdict on `id`; unchanged verdicts keep their time.
    mutating func setMemberLiveness(_ id: UInt64, isUp: Bool, atNanos: UInt64) throws(PFSError) -> MemberInfo {
        guard var info = members[id] else { throw .memberNotFound(id) }
        guard info.isUp != isUp else { return info }
        info.isUp = isUp
        info.changedAtNanos = atNanos
        members[id] = info
        return info
    }

    /// Drops the record of `id` (after it left the Raft configuration).
    mutating func forgetMember(_ id: UInt64) throws(PFSError) {
        guard members.removeValue(forKey: id) != nil else { throw .memberNotFound(id) }
    }

    /// Every member record, sorted by id.
    public func listMembers() -> [MemberInfo] {
        members.keys.sorted().map { members[$0]! }
    }

    private static func checkMember(_ id: UInt64) throws(PFSError) {
        guard id != 0 else { throw .invalidArgument("member id 0 is reserved") }
    }

    /// host:port, printable ASCII, no spaces; what the transport makes of it is checked where it is used.
    static func checkAddress(_ address: String, what: String) throws(PFSError) {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty, bytes.count <= addressBytesMax else {
            throw .invalidArgument("\(what) must be 1 to \(addressBytesMax) bytes")
        }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }), let colon = bytes.lastIndex(of: UInt8(ascii: ":")),
              colon > 0, colon < bytes.count - 1,
              bytes[(colon + 1)...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { throw .invalidArgument("\(what) '\(address)' is not host:port") }
    }
}

extension BinaryWriter {
    mutating func write(_ info: MemberInfo) {
        write(info.id)
        write(info.apiAddress)
        write(info.peerAddress)
        write(info.isUp)
        write(info.changedAtNanos)
    }
}

extension BinaryReader {
    mutating func readMemberInfo() throws(PFSError) -> MemberInfo {
        MemberInfo(id: try readUInt64(), apiAddress: try readString(), peerAddress: try readString(),
                   isUp: try readBool(), changedAtNanos: try readUInt64())
    }
}
