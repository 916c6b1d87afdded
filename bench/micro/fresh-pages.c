// How much it costs here to touch memory the kernel has not used for a while (docs/benchmarks.md,
// results of 2026-11-29 11:00): maps 1 GB, touches one byte per page, then memsets it, three
// times; with an argument N it sleeps N seconds between rounds, long enough for the kernel to
// hand the freed memory back to the host (virtio-balloon free page reporting), so that every
// round meets "fresh" pages. Page-cache pages for a file being written are allocated the same way.
//   gcc -O2 -o /tmp/fresh-pages bench/micro/fresh-pages.c && /tmp/fresh-pages 0 && /tmp/fresh-pages 5
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  size_t n = (size_t)1 << 30;
  int pause = argc > 1 ? atoi(argv[1]) : 0;
  for (int round = 0; round < 3; round++) {
    char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    double t0 = now();
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    double t1 = now();
    memset(p, 2, n);
    double t2 = now();
    printf("first touch of 1 GB %.0f ms, then memset %.0f ms\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
    munmap(p, n);
    if (pause) sleep(pause);
  }
  return 0;
}
