// A caller-provided parallel-for. tinyq creates no threads: a caller that has workers
// (a thread pool, the second K210 hart, an RTOS task set) hands detect / run_integer one
// of these, and the executor splits each layer into independent parts of output rows.
//
//   run(pool, n, task, ctx) must call task(ctx, i) exactly once for every i in [0, n),
//   in any order and on any threads, and return only when all n calls have returned.
//
// Every part writes its own output rows and each output value is computed the same way
// whatever the split, so results are bit-identical for any number of workers (a test runs
// 1, 2, 3 and 7). `workers` and `parts_per_worker` only size the split: a layer of H output
// rows becomes min(H, workers * parts_per_worker) parts. A few parts per worker balance the
// load of a dynamic pool whose threads share cores; a static split over equal cores (the
// K210's two harts) takes 1: fewer, larger parts set each kernel call up fewer times.
#pragma once

namespace tinyq {

struct ParallelFor {
  void (*run)(void* pool, int n, void (*task)(void* ctx, int i), void* ctx);
  void* pool;
  int workers;  // tasks that may run at once; <= 1 means run everything on the caller
  int parts_per_worker = 4;  // >= 1

  bool parallel() const { return run != nullptr && workers > 1; }
  // The parts a range of `rows` rows is cut into: min(rows, workers * parts_per_worker).
  int parts_for(int rows) const {
    const int per_worker = parts_per_worker > 1 ? parts_per_worker : 1;
    const long long most = static_cast<long long>(per_worker) * (workers > 1 ? workers : 1);
    return rows < most ? rows : static_cast<int>(most);
  }
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
