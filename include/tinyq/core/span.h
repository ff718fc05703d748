// A minimal non-owning view (std::span is C++20 and needs the hosted library).
#pragma once
#include <stddef.h>

namespace tinyq {

template <typename T>
class span {
 public:
  constexpr span() = default;
  constexpr span(T* data, size_t size) : data_(data), size_(size) {}
  template <size_t Size>
  constexpr span(T (&array)[Size]) : data_(array), size_(Size) {}
  // span<T> -> span<const T>
  template <typename U>
  constexpr span(const span<U>& other) : data_(other.data()), size_(other.size()) {}

  constexpr T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T& operator[](size_t i) const { return data_[i]; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }
  constexpr span subspan(size_t offset, size_t count) const { return span(data_ + offset, count); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tinyq
