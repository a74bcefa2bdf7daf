// Linux calls that Swift's Glibc module leaves out.
#include <unistd.h>

// Commits the whole file system holding `fd` to disk (glibc 2.14+). One call makes every earlier write
// on it durable, which is far cheaper than an fsync per file for a batch of small files.
int syncfs(int fd);

// mallopt and M_MMAP_THRESHOLD: the daemon and the client fix the threshold so that chunk-sized
// buffers (256 KiB-4 MiB, allocated and freed at line rate) are mapped and unmapped, not left to
// fragment the heap's arenas (glibc otherwise raises the threshold past them after the first free).
#include <malloc.h>

// Maps every allocation of 256 KiB or more on its own (see above). Call once, first thing in main.
static inline void clinux_map_large_allocations(void) {
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

// pipe2 (glibc declares it only under _GNU_SOURCE): a pipe whose ends are close-on-exec from the
// start, so a child spawned by another thread at the same moment cannot inherit them.
int pipe2(int pipefd[2], int flags);

// pidfd_open (glibc 2.36+, Linux 5.3+): a descriptor that becomes readable when the process exits, so a
// thread can wait for a child with a timeout in one poll, without a timer on another thread.
#include <sys/types.h>
int pidfd_open(pid_t pid, unsigned int flags);
