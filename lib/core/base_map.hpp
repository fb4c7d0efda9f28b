// The row entries of a tenant's base state, keyed by key hash: a flat
// open-addressing table (linear probing, backward-shift deletion) of 56-byte
// slots, about 66 bytes per row at its load factor, where a node-based
// std::unordered_map costs over 100. The home slot is a Fibonacci mix of the
// key hash mapped by fastrange (no power-of-two capacity).
//
// The interface is the subset of std::unordered_map that syncpipe uses:
// find/end, at, operator[], erase, size, reserve and iteration, whose
// elements have `first` (the key hash) and `second` (the BaseEntry), so
// `for (auto& [kh, e] : map)` works. Inserting (operator[]) may move every
// element: pointers and iterators are valid only until the next insert.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/hash.hpp"

namespace syncpipe {

enum class BaseStatus : std::uint8_t { Loaded = 0, Quarantined = 1, Absent = 2 };

struct BaseEntry {
  Hash128 src;                  // source row hash h last loaded
  Hash128 tgt_hash;             // row hash of the target image, if has_tgt
  std::uint32_t table = 0;      // index into BaseState::tables
  BaseStatus status = BaseStatus::Loaded;
  bool has_tgt = false;         // false when quarantined / absent
  bool seen = false;            // sync-diff's seen-set; not saved

  std::optional<Hash128> tgt() const { return has_tgt ? std::optional<Hash128>(tgt_hash) : std::nullopt; }
  void set_tgt(const std::optional<Hash128>& t) {
    has_tgt = t.has_value();
    tgt_hash = t.value_or(Hash128{});
  }
};

class BaseMap {
 public:
  struct Slot {
    Hash128 first;
    BaseEntry second;
  };

  template <typename S>
  class Iter {
   public:
    Iter(S* p, S* end) : p_(p), end_(end) { skip(); }
    S& operator*() const { return *p_; }
    S* operator->() const { return p_; }
    Iter& operator++() {
      ++p_;
      skip();
      return *this;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.p_ == b.p_; }

   private:
    void skip() {
      while (p_ != end_ && p_->second.table == kEmpty) ++p_;
    }
    S* p_;
    S* end_;
  };
  using iterator = Iter<Slot>;
  using const_iterator = Iter<const Slot>;

  iterator begin() { return {slots_.data(), slots_.data() + slots_.size()}; }
  iterator end() { return {slots_.data() + slots_.size(), slots_.data() + slots_.size()}; }
  const_iterator begin() const { return {slots_.data(), slots_.data() + slots_.size()}; }
  const_iterator end() const { return {slots_.data() + slots_.size(), slots_.data() + slots_.size()}; }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear();
  // Room for n entries without growing.
  void reserve(std::size_t n);

  iterator find(const Hash128& kh);
  const_iterator find(const Hash128& kh) const;
  bool contains(const Hash128& kh) const { return lookup(kh) != npos; }
  // A hint only: starts loading kh's home slot into the CPU cache, so a
  // find() after some other work does not wait for memory.
  void prefetch(const Hash128& kh) const;
  BaseEntry& at(const Hash128& kh);              // throws std::out_of_range
  const BaseEntry& at(const Hash128& kh) const;
  BaseEntry& operator[](const Hash128& kh);      // inserts a default entry if missing
  std::size_t erase(const Hash128& kh);          // 0 or 1

 private:
  static constexpr std::uint32_t kEmpty = 0xffffffffu;  // BaseEntry::table of a free slot
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // Fibonacci mix of both words, then fastrange onto [0, capacity).
  std::size_t home(const Hash128& kh) const {
    std::uint64_t mixed = (kh.lo ^ kh.hi) * 0x9E3779B97F4A7C15ull;
    __extension__ using u128 = unsigned __int128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet
    return static_cast<std::size_t>((static_cast<u128>(mixed) * slots_.size()) >> 64);
  }
  std::size_t next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  std::size_t lookup(const Hash128& kh) const;
  void rehash(std::size_t capacity);

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace syncpipe
