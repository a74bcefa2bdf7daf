// The lz4 block API (LZ4_compress_default, LZ4_decompress_safe, LZ4_compressBound) for Swift.
#include <lz4.h>
