// odmd_github_fake_unseal: opens a libsodium sealed box (crypto_box_seal), as GitHub does
// with a repository secret, for the fake GitHub's simulated runs (Node has no
// crypto_box_seal). Reads three lines on stdin: the repository's public key, its private
// key and the sealed value, each base64; writes the plain value to stdout. Exit 1 with a
// message on stderr naming what is wrong.
#include <sodium.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

bool Decode(const std::string& text, std::vector<unsigned char>& out) {
  out.assign(text.size(), 0);
  size_t n = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \r", &n, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return false;
  }
  out.resize(n);
  return true;
}

int Fail(const std::string& why) {
  std::cerr << "odmd_github_fake_unseal: " << why << "\n";
  return 1;
}

}  // namespace

int main() {
  if (sodium_init() < 0) return Fail("libsodium does not initialise");
  std::string lines[3];
  const char* names[3] = {"public key", "private key", "sealed value"};
  std::vector<unsigned char> bin[3];
  for (int i = 0; i < 3; ++i) {
    if (!std::getline(std::cin, lines[i])) return Fail(std::string("no ") + names[i] + " line");
    if (!Decode(lines[i], bin[i])) return Fail(std::string(names[i]) + " is not base64");
  }
  if (bin[0].size() != crypto_box_PUBLICKEYBYTES || bin[1].size() != crypto_box_SECRETKEYBYTES) {
    return Fail("a key is not 32 bytes");
  }
  if (bin[2].size() < crypto_box_SEALBYTES) return Fail("the sealed value is too short");
  std::vector<unsigned char> plain(bin[2].size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(plain.data(), bin[2].data(), bin[2].size(), bin[0].data(),
                           bin[1].data()) != 0) {
    return Fail("the sealed value does not open with this key pair");
  }
  std::cout.write(reinterpret_cast<const char*>(plain.data()),
                  static_cast<std::streamsize>(plain.size()));
  return std::cout.good() ? 0 : 1;
}
