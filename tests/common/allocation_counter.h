// Counts heap allocations of the whole test program, so tests can require that
// inference allocates nothing. Include in exactly ONE .cpp of a test program.
//
// Without AddressSanitizer the global operator new/delete are replaced by counting
// versions over malloc/free. Under ASan or TSan, whose runtime owns operator new (replacing it
// would be an alloc-dealloc mismatch), the sanitizer's malloc hook counts instead:
// it sees every allocation, operator new's included. Either way the count is live.
#pragma once
#include <stddef.h>
#include <stdlib.h>

#include <atomic>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TINYQ_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TINYQ_TEST_ASAN 1
#endif
// ThreadSanitizer's runtime owns operator new as well; its malloc hooks count the same way.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TINYQ_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TINYQ_TEST_ASAN 1
#endif

namespace tinyq_test {
inline std::atomic<long> g_heap_allocations{0};
inline long heap_allocations() { return g_heap_allocations.load(); }
}  // namespace tinyq_test

#if defined(TINYQ_TEST_ASAN)
#include <sanitizer/allocator_interface.h>
namespace tinyq_test {
inline void count_malloc(const volatile void*, size_t) { ++g_heap_allocations; }
inline void ignore_free(const volatile void*) {}
inline const int kMallocHookInstalled = __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
}  // namespace tinyq_test
#else
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
  ++tinyq_test::g_heap_allocations;
  if (void* p = malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  ++tinyq_test::g_heap_allocations;
  if (void* p = malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
#endif
