// SecretBox: the key (environment variable or key file) and libsodium's crypto_secretbox.

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "odmd/access/secrets.h"
#include "odmd/base/strings.h"
#include "sodium_init.h"

namespace odmd::access {
namespace {

constexpr size_t kKeyBytes = crypto_secretbox_KEYBYTES;
static_assert(kKeyBytes == 32);

using Key = std::array<unsigned char, kKeyBytes>;

// Closes a file descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status KeyFileError(StatusCode code, const std::string& path, std::string_view why) {
  return Status(code, "secret key file " + Quote(path) + ": " + std::string(why));
}

Status Errno(const std::string& path, std::string_view what) {
  return KeyFileError(StatusCode::kUnavailable, path,
                      std::string(what) + ": " + std::strerror(errno));
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Result<Key> KeyFromHex(const std::string& var, std::string_view hex) {
  Key key{};
  size_t len = 0;
  const char* end = nullptr;
  if (hex.size() != 2 * kKeyBytes ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != kKeyBytes || end != hex.data() + hex.size()) {
    sodium_memzero(key.data(), key.size());
    // Never echo the value: it is (meant to be) the key.
    return InvalidArgumentError("environment variable " + var + ": expected " +
                                std::to_string(2 * kKeyBytes) + " hex characters (a " +
                                std::to_string(kKeyBytes) + "-byte key)");
  }
  return key;
}

Result<Key> ReadKeyFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(path, "cannot open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Errno(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) {
    return KeyFileError(StatusCode::kFailedPrecondition, path, "not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return KeyFileError(StatusCode::kFailedPrecondition, path,
                        "mode " + OctalMode(st.st_mode) +
                            " lets others read it; it must be 0600 or narrower (chmod 600)");
  }
  if (st.st_size != static_cast<off_t>(kKeyBytes)) {
    return KeyFileError(StatusCode::kFailedPrecondition, path,
                        "holds " + std::to_string(st.st_size) +
                            " bytes; a key file holds exactly " + std::to_string(kKeyBytes));
  }
  Key key{};
  ssize_t n = ::read(fd.get(), key.data(), key.size());
  if (n != static_cast<ssize_t>(key.size())) {
    sodium_memzero(key.data(), key.size());
    return Errno(path, "cannot read");
  }
  return key;
}

// Creates every missing directory of `dir` with mode 0700.
Status MakeDirs(const std::filesystem::path& dir, const std::string& key_path) {
  std::filesystem::path partial;
  for (const std::filesystem::path& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return Errno(key_path, "cannot create directory " + Quote(partial.string()));
    }
  }
  return OkStatus();
}

// Writes a fresh key to a temporary file and links it into place, so a reader never sees a
// half-written key and two processes starting together agree on one key.
Result<Key> CreateKeyFile(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) ODMD_RETURN_IF_ERROR(MakeDirs(parent, path));
  Key key{};
  randombytes_buf(key.data(), key.size());
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(randombytes_uniform(1u << 30));
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) return Errno(path, "cannot create");
    bool written = ::write(fd.get(), key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                   ::fsync(fd.get()) == 0;
    if (!written) {
      Status s = Errno(path, "cannot write");
      ::unlink(tmp.c_str());
      return s;
    }
  }
  int linked = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno == EEXIST) {
    sodium_memzero(key.data(), key.size());
    return ReadKeyFile(path);  // another process created it first: use theirs
  }
  if (linked != 0) {
    errno = link_errno;
    return Errno(path, "cannot create");
  }
  Fd dir(::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
  return key;
}

Result<Key> LoadKey(const SecretKeyOptions& options) {
  const char* env = options.env_var.empty() ? nullptr : std::getenv(options.env_var.c_str());
  if (env != nullptr && *env != '\0') return KeyFromHex(options.env_var, env);
  if (options.key_file.empty()) {
    return InvalidArgumentError("no secret key: environment variable " + Quote(options.env_var) +
                                " is unset and no key file is set");
  }
  struct stat st {};
  if (::stat(options.key_file.c_str(), &st) == 0) return ReadKeyFile(options.key_file);
  if (errno != ENOENT) return Errno(options.key_file, "cannot stat");
  return CreateKeyFile(options.key_file);
}

}  // namespace

SecretBox::SecretBox(std::span<const unsigned char, 32> key) {
  std::copy(key.begin(), key.end(), key_.begin());
}

SecretBox::~SecretBox() { sodium_memzero(key_.data(), key_.size()); }

Result<SecretBox> SecretBox::Load(const SecretKeyOptions& options) {
  EnsureSodium();
  ODMD_ASSIGN_OR_RETURN(Key key, LoadKey(options));
  SecretBox box(key);
  sodium_memzero(key.data(), key.size());
  return box;
}

SecretBox SecretBox::FromKey(std::span<const unsigned char, 32> key) {
  EnsureSodium();
  return SecretBox(key);
}

std::string SecretBox::Seal(std::string_view plaintext) const {
  std::string sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(),
                     '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        out, key_.data());
  return sealed;
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
  constexpr size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) {
    return FailedPreconditionError("sealed value is " + std::to_string(sealed.size()) +
                                   " bytes, shorter than the " + std::to_string(kOverhead) +
                                   "-byte nonce and tag");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plaintext(sealed.size() - kOverhead, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(plaintext.data()), in + crypto_secretbox_NONCEBYTES,
          sealed.size() - crypto_secretbox_NONCEBYTES, in, key_.data()) != 0) {
    return FailedPreconditionError(
        "sealed value does not open: tampered with or sealed with another key");
  }
  return plaintext;
}

}  // namespace odmd::access
