#include "http_reply.h"

#include <zlib.h>

#include <memory>
#include <string>
#include <utility>

namespace odmd::api {
namespace {

// Bodies larger than this go out uncompressed when they are JSON (the graph of a big org:
// gzip of ~12 MB costs more per request than sending it on loopback or a LAN does).
constexpr size_t kCompressMaxJsonBytes = size_t{1} << 20;
// Smaller bodies gain nothing from gzip.
constexpr size_t kCompressMinBytes = 1024;

bool Compressible(std::string_view type) {
  if (type.substr(0, 5) == "text/") return type.substr(0, 17) != "text/event-stream";
  const std::string_view base = type.substr(0, type.find(';'));
  return base == "application/json" || base == "application/javascript" ||
         base == "image/svg+xml" || base == "application/xml" || base == "application/xhtml+xml";
}

// `in` gzipped; nullopt-like empty string on failure (the body then goes out as it is).
std::string Gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

void FreeString(void* cls) { delete static_cast<std::string*>(cls); }

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view token = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    const size_t semi = token.find(';');
    std::string_view name = token.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != "gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view q = token.substr(semi + 1);
    while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
    return !(q.substr(0, 2) == "q=" && q.substr(2).find_first_not_of("0.") == std::string::npos);
  }
  return false;
}

MHD_Response* MakeResponse(Reply reply, std::string_view accept_encoding) {
  std::string& content_type = reply.content_type;
  bool gzip = false;
  if (reply.body.size() > kCompressMaxJsonBytes && content_type == kJsonType) {
    content_type += "; charset=utf-8";  // what told httplib's clients it went uncompressed
  } else if (reply.body.size() >= kCompressMinBytes && Compressible(content_type) &&
             AcceptsGzip(accept_encoding)) {
    std::string zipped = Gzip(reply.body);
    if (!zipped.empty()) {
      reply.body = std::move(zipped);
      gzip = true;
    }
  }
  auto body = std::make_unique<std::string>(std::move(reply.body));
  MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
      body->size(), body->data(), &FreeString, body.get());
  if (response == nullptr) return nullptr;
  body.release();  // the response's now
  MHD_add_response_header(response, "Content-Type", content_type.c_str());
  if (gzip) {
    MHD_add_response_header(response, "Content-Encoding", "gzip");
    MHD_add_response_header(response, "Vary", "Accept-Encoding");
  }
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  return response;
}

}  // namespace odmd::api
