// A caller-provided parallel-for. tinyq creates no threads: a caller that has workers
// (a thread pool, the second K210 hart, an RTOS task set) hands detect / run_integer one
// of these, and the executor splits each layer into independent parts of output rows.
//
//   run(pool, n, task, ctx) must call task(ctx, i) exactly once for every i in [0, n),
//   in any order and on any threads, and return only when all n calls have returned.
//
// Every part writes its own output rows and each output value is computed the same way
// whatever the split, so results are bit-identical for any number of workers (a test runs
// 1, 2, 3 and 7). `workers` only sizes the split (a few parts per worker balance the load).
#pragma once

namespace tinyq {

struct ParallelFor {
  void (*run)(void* pool, int n, void (*task)(void* ctx, int i), void* ctx);
  void* pool;
  int workers;  // tasks that may run at once; <= 1 means run everything on the caller

  bool parallel() const { return run != nullptr && workers > 1; }
};

// Part i of n of the range [0, count): [begin, end), sizes differ by at most one.
struct RangePart {
  int begin, end;
};
constexpr RangePart range_part(int count, int n, int i) {
  return RangePart{static_cast<int>(static_cast<long long>(count) * i / n),
                   static_cast<int>(static_cast<long long>(count) * (i + 1) / n)};
}

}  // namespace tinyq
