import CLZ4

/// The two liblz4 block calls frames use, over raw buffers, with their C conventions (int sizes, 0 or a
/// negative result for failure) turned into optionals.
enum LZ4 {
    /// The most bytes compressing `count` bytes can produce (liblz4's `LZ4_compressBound`).
    static func compressBound(_ count: Int) -> Int {
        Int(LZ4_compressBound(Int32(clamping: count)))
    }

    /// Compresses `source` into `destination` and returns the compressed size, or nil when the result
    /// would not fit (the caller then stores the bytes raw). `source.count` MUST be at most
    /// `ChunkerOptions.maxBytesLimit`, far below lz4's own input limit.
    static func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        precondition(source.count <= ChunkerOptions.maxBytesLimit, "lz4 input of \(source.count) bytes is over the limit")
        guard let input = source.baseAddress, let output = destination.baseAddress, source.count > 0 else { return nil }
        let written = LZ4_compress_default(
            input.assumingMemoryBound(to: CChar.self), output.assumingMemoryBound(to: CChar.self),
            Int32(source.count), Int32(clamping: destination.count))
        return written > 0 ? Int(written) : nil
    }

    /// Decompresses `source` into `destination`, returning the decompressed size, or nil for malformed
    /// input. `LZ4_decompress_safe` never reads past `source` nor writes past `destination`, whatever the
    /// bytes, which is why any input is safe here.
    static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard let input = source.baseAddress, let output = destination.baseAddress,
              source.count <= Int32.max, destination.count <= Int32.max else { return nil }
        let written = LZ4_decompress_safe(
            input.assumingMemoryBound(to: CChar.self), output.assumingMemoryBound(to: CChar.self),
            Int32(source.count), Int32(destination.count))
        return written >= 0 ? Int(written) : nil
    }
}
