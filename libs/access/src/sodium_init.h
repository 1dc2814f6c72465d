#pragma once

namespace odmd::access {

// Initialises libsodium once per process (thread-safe; later calls are free). Aborts if
// libsodium cannot initialise: nothing random or secret can be done without it.
void EnsureSodium();

}  // namespace odmd::access
