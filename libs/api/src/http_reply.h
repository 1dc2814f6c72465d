#pragma once

// A Reply as a libmicrohttpd response: its headers and content type, gzip when the client
// accepts it and the type is text-like (never brotli, never JSON over 1 MiB: sending those
// costs less than compressing them on loopback or a LAN).

#include <microhttpd.h>

#include <string_view>

#include "odmd/api/routes.h"

namespace odmd::api {

// The response of `reply` (the caller queues it with reply.status and destroys it); null if
// libmicrohttpd cannot allocate it. `accept_encoding` is the request's Accept-Encoding.
MHD_Response* MakeResponse(Reply reply, std::string_view accept_encoding);

// Whether `accept_encoding` lists gzip (with a q-value other than 0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace odmd::api
