/// `Array.withUnsafeBytes` with a body that throws `ReplicationError`, keeping the error type (the
/// standard library's version rethrows `any Error`).
@inline(__always)
func withUnsafeBytesTyped<Value>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ReplicationError) -> Value
) throws(ReplicationError) -> Value {
    let result: Result<Value, ReplicationError> = bytes.withUnsafeBytes { buffer in
        do throws(ReplicationError) { return .success(try body(buffer)) } catch { return .failure(error) }
    }
    return try result.get()
}
