#include "odmd/model/shared_text.h"

#include <cstring>
#include <new>
#include <ostream>

namespace odmd::model {

static_assert(sizeof(std::uintptr_t) == 8, "inline text needs 64-bit words");

SharedText::SharedText(std::string_view text) {
  if (text.empty()) return;
  if (text.size() <= kInlineMax) {
    bits_ = (text.size() << 1) | 1;
    std::memcpy(reinterpret_cast<char*>(&bits_) + 1, text.data(), text.size());
    return;
  }
  void* memory = ::operator new(sizeof(Block) + text.size() + 1);
  Block* b = new (memory) Block{{1}, static_cast<std::uint32_t>(text.size())};
  std::memcpy(b->text(), text.data(), text.size());
  b->text()[text.size()] = '\0';
  bits_ = reinterpret_cast<std::uintptr_t>(b);
}

SharedText& SharedText::operator=(SharedText&& other) noexcept {
  if (this != &other) {
    Release();
    bits_ = other.bits_;
    other.bits_ = kEmpty;
  }
  return *this;
}

void SharedText::ReleaseBlock() noexcept {
  Block* b = block();
  if (b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    b->~Block();
    ::operator delete(b);
  }
  bits_ = kEmpty;
}

std::ostream& operator<<(std::ostream& os, const SharedText& text) { return os << text.view(); }

}  // namespace odmd::model
