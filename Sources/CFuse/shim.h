// libfuse 2.9's high-level API (FUSE_USE_VERSION 26) for Swift.
//
// The glibc headers come first, without _FILE_OFFSET_BITS: defined before them, it would make clang
// build `stat`, `statvfs`, ... here in variants that clash with Swift's Glibc module. On LP64 targets
// off_t is already 64 bits, so defining it afterwards (as <fuse.h> requires) changes nothing.
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <fcntl.h>
#include <utime.h>
#include <time.h>
#include <errno.h>

_Static_assert(sizeof(off_t) == 8, "libfuse needs a 64-bit off_t");

#define FUSE_USE_VERSION 26
#define _FILE_OFFSET_BITS 64
#include <fuse.h>

// The bit fields of fuse_file_info, which Swift cannot always reach through the importer.
static inline void cfuse_set_direct_io(struct fuse_file_info *info, int on) { info->direct_io = on ? 1 : 0; }
static inline void cfuse_set_keep_cache(struct fuse_file_info *info, int on) { info->keep_cache = on ? 1 : 0; }
static inline int cfuse_flags(const struct fuse_file_info *info) { return info->flags; }
