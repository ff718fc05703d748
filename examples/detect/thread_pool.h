// A small std::thread pool that serves tinyq::ParallelFor (core/parallel.h): the CLI,
// the bench and the tests use it; the library itself creates no threads.
//
//   ThreadPool pool(4);                        // the caller + 3 workers
//   tinyq::ParallelFor par = pool.parallel_for();
//   detector.detect(..., /*report*/ nullptr, &par);
//
// run() hands out the indices of one job through an atomic counter to the workers and
// the calling thread, and returns when every index is done. Jobs are serialised: one
// pool runs one job at a time (a detection's layers are sequential anyway).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "tinyq/core/parallel.h"

namespace tinyq_cli {

class ThreadPool {
 public:
  // threads: total threads that run tasks, the caller included (>= 1).
  explicit ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
    for (int t = 1; t < threads_; ++t) workers_.emplace_back([this] { work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  tinyq::ParallelFor parallel_for() { return tinyq::ParallelFor{&ThreadPool::run, this, threads_}; }

  static void run(void* pool, int n, void (*task)(void* ctx, int i), void* ctx) {
    static_cast<ThreadPool*>(pool)->run_job(n, task, ctx);
  }

 private:
  void run_job(int n, void (*task)(void*, int), void* ctx) {
    if (workers_.empty() || n <= 1) {
      for (int i = 0; i < n; ++i) task(ctx, i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = task;
      ctx_ = ctx;
      n_ = n;
      next_.store(0, std::memory_order_relaxed);
      finished_ = 0;
      ++generation_;
    }
    wake_.notify_all();
    drain(task, ctx, n);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_ == int(workers_.size()); });
  }
  void drain(void (*task)(void*, int), void* ctx, int n) {
    for (int i = next_.fetch_add(1, std::memory_order_relaxed); i < n; i = next_.fetch_add(1, std::memory_order_relaxed))
      task(ctx, i);
  }
  void work() {
    uint64_t seen = 0;
    for (;;) {
      void (*task)(void*, int);
      void* ctx;
      int n;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        task = task_;
        ctx = ctx_;
        n = n_;
      }
      drain(task, ctx, n);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++finished_;
      }
      done_.notify_one();
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  void (*task_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  int n_ = 0;
  std::atomic<int> next_{0};
  int finished_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace tinyq_cli
