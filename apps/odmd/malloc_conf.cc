// The allocator settings of the odmd binary, which links jemalloc outside sanitizer builds
// (apps/odmd/CMakeLists.txt). jemalloc reads this symbol when it starts; MALLOC_CONF in the
// environment still overrides it.
//
// Transparent huge pages: on the virtual machines odmd is measured on, a first touch of a
// 4 KiB page costs 10-20 us, so reading a 20 MB manifest (37,000 page faults) spent most
// of its time faulting pages in. Backing the heap with 2 MiB pages cuts the faults about
// tenfold (bench/README.md, "Manifest"). metadata_thp does the same for jemalloc's own
// bookkeeping.
//
// 2 MiB pages need 2 MiB-aligned memory. jemalloc grows its heap by mappings of 2, 2.5, 3,
// 3.5, 4, 5 ... MiB; the kernel aligns only those whose length is a multiple of 2 MiB, so the
// 2.5, 3 and 3.5 MiB ones straddle 2 MiB boundaries, and a 2 MiB range whose first touch came
// before its neighbour was mapped stays on 4 KiB pages: ~1,150 faults building a 1,000-build
// org, most of its time (bench/README.md, "Target 2, third session"). ReserveHeap below makes
// the main arena's first growth one 12 MiB mapping, which the kernel aligns, and every later
// growth is then a multiple of 2 MiB (14, 16, 20, 24 ... MiB). It reserves address space only:
// the block is purged at once, untouched, and its pages count in RSS when allocations use them.
// oversize_threshold 16 MiB keeps the reservation in the main arena (jemalloc's default sends
// requests of 8 MiB and more to an arena of their own); a higher one made every simdjson
// parser's buffers, freed and allocated again, fault in anew on 4 KiB pages.
#include <jemalloc/jemalloc.h>

#include <cstddef>
#include <string>

extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks up.
const char* malloc_conf = "thp:always,metadata_thp:always,oversize_threshold:16777216";
}

namespace {

constexpr std::size_t kHeapReservation = std::size_t{12} << 20;

// Grows the main thread's arena by kHeapReservation at start-up, before anything is allocated
// for real, and hands the block back to the kernel untouched. mallocx/dallocx: a malloc/free
// pair the compiler may not elide.
struct ReserveHeap {
  ReserveHeap() {
    void* block = mallocx(kHeapReservation, 0);
    if (block == nullptr) return;
    dallocx(block, 0);
    unsigned arena = 0;
    std::size_t size = sizeof arena;
    if (mallctl("thread.arena", &arena, &size, nullptr, 0) != 0) return;
    const std::string purge = "arena." + std::to_string(arena) + ".purge";
    mallctl(purge.c_str(), nullptr, nullptr, nullptr, 0);
  }
};
const ReserveHeap kReserveHeap;

}  // namespace
