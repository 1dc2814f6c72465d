#pragma once

// A SQLite VFS that writes a transaction's WAL frames with one write instead of two per page.
//
// SQLite writes each WAL frame as two pwrite calls (its 24-byte header, then the page), so a
// commit of 27 pages costs 54 system calls before its fsync; on a machine whose system calls
// are dear (a VM: ~8 us each) they cost more than the fsync. This VFS keeps a WAL file's
// contiguous writes in memory and hands them to the underlying VFS as one write when SQLite
// syncs, reads, truncates, sizes or closes the file, or when 4 MiB have gathered.
//
// Only for connections with PRAGMA synchronous = FULL and PRAGMA cache_spill = OFF, both set
// before their first write. Then every commit syncs the WAL before it publishes the commit in
// the WAL index, so no reader (another connection, thread or process) can see a frame that is
// still in memory, and an I/O error surfaces as the commit's error; and every frame written is
// a commit's, flushed by its sync. With spills, a transaction that spilled frames and then
// rolled back would leave them in memory, and a later flush (after another writer committed
// frames at the same place) would write them over that writer's. Under synchronous = NORMAL a
// commit publishes frames without a sync and other connections would read what is not yet written:
// do not use it there. The database file, the WAL index and every other file pass through
// unchanged.

#include <sqlite3.h>

namespace odmd::store::sqlite {

// Registers (once per process, not as the default) the coalescing VFS over the default VFS
// of that moment and returns its name for sqlite3_open_v2. nullptr if SQLite has no default
// VFS (then open with the default).
const char* CoalescingWalVfs();

// Registers a coalescing VFS named `name` over `under` (not the default). For tests, which
// put a VFS of their own underneath; `name` must outlive the process. nullptr if SQLite
// refuses to register it.
sqlite3_vfs* RegisterCoalescingWalVfs(const char* name, sqlite3_vfs* under);

}  // namespace odmd::store::sqlite
