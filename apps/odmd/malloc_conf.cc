// The allocator settings of the odmd binary, which links jemalloc outside sanitizer builds
// (apps/odmd/CMakeLists.txt). jemalloc reads this symbol when it starts; MALLOC_CONF in the
// environment still overrides it.
//
// Transparent huge pages: on the virtual machines odmd is measured on, a first touch of a
// 4 KiB page costs 10-20 us, so reading a 20 MB manifest (37,000 page faults) spent most
// of its time faulting pages in. Backing the heap with 2 MiB pages cuts the faults about
// tenfold (bench/README.md, "Manifest"). metadata_thp does the same for jemalloc's own
// bookkeeping.
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks up.
const char* malloc_conf = "thp:always,metadata_thp:always";
}
