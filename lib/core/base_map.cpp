#include "core/base_map.hpp"

#include <stdexcept>

namespace syncpipe {

namespace {

constexpr double kMaxLoad = 0.85;  // linear probing stays short below this

std::size_t capacity_for(std::size_t n) { return static_cast<std::size_t>(static_cast<double>(n) / kMaxLoad) + 8; }

}  // namespace

void BaseMap::clear() {
  slots_.clear();
  size_ = 0;
}

void BaseMap::reserve(std::size_t n) {
  if (capacity_for(n) > slots_.size()) rehash(capacity_for(n));
}

void BaseMap::rehash(std::size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  for (auto& s : slots_) s.second.table = kEmpty;
  for (auto& s : old) {
    if (s.second.table == kEmpty) continue;
    std::size_t i = home(s.first);
    while (slots_[i].second.table != kEmpty) i = next(i);
    slots_[i] = s;
  }
}

std::size_t BaseMap::lookup(const Hash128& kh) const {
  if (slots_.empty()) return npos;
  for (std::size_t i = home(kh);; i = next(i)) {
    const Slot& s = slots_[i];
    if (s.second.table == kEmpty) return npos;
    if (s.first == kh) return i;
  }
}

void BaseMap::prefetch(const Hash128& kh) const {
  if (slots_.empty()) return;
  const char* p = reinterpret_cast<const char*>(slots_.data() + home(kh));
  for (int line = 0; line < 4; ++line) __builtin_prefetch(p + 64 * line);  // a probe run is a few slots long
}

BaseMap::iterator BaseMap::find(const Hash128& kh) {
  std::size_t i = lookup(kh);
  return i == npos ? end() : iterator(slots_.data() + i, slots_.data() + slots_.size());
}

BaseMap::const_iterator BaseMap::find(const Hash128& kh) const {
  std::size_t i = lookup(kh);
  return i == npos ? end() : const_iterator(slots_.data() + i, slots_.data() + slots_.size());
}

BaseEntry& BaseMap::at(const Hash128& kh) {
  std::size_t i = lookup(kh);
  if (i == npos) throw std::out_of_range("BaseMap::at: no entry for " + kh.hex());
  return slots_[i].second;
}

const BaseEntry& BaseMap::at(const Hash128& kh) const { return const_cast<BaseMap*>(this)->at(kh); }

BaseEntry& BaseMap::operator[](const Hash128& kh) {
  if (std::size_t i = lookup(kh); i != npos) return slots_[i].second;
  if (capacity_for(size_ + 1) > slots_.size()) rehash(capacity_for((size_ + 1) * 3 / 2));
  std::size_t i = home(kh);
  while (slots_[i].second.table != kEmpty) i = next(i);
  slots_[i].first = kh;
  slots_[i].second = BaseEntry{};
  ++size_;
  return slots_[i].second;
}

// Backward-shift deletion: later members of the probe run move into the hole
// when their home is not between the hole and their position.
std::size_t BaseMap::erase(const Hash128& kh) {
  std::size_t hole = lookup(kh);
  if (hole == npos) return 0;
  for (std::size_t j = next(hole);; j = next(j)) {
    Slot& s = slots_[j];
    if (s.second.table == kEmpty) break;
    std::size_t h = home(s.first);
    bool stays = hole < j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = s;
    hole = j;
  }
  slots_[hole].second.table = kEmpty;
  --size_;
  return 1;
}

}  // namespace syncpipe
