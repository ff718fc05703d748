// The Python writer (tools/tinyq_tools/weights_file.py) and C-header tool (to_c_header.py)
// against the C++ loader: a synthetic integer model written in Python at build time, compiled
// in as an aligned const array, opened in place, its graph built and run.
#include <catch2/catch.hpp>

#include <vector>

#include "python_model.h"
#include "tinyq/model/executor.h"

using namespace tinyq::model;

TEST_CASE("a model written by the Python exporter opens from its C header and runs", "[python][executor]") {
  CHECK(reinterpret_cast<uintptr_t>(python_model) % 64 == 0);
  WeightsFile wf;
  Status s = WeightsFile::open(python_model, python_model_size, &wf);
  INFO(s.message);
  REQUIRE(s.ok());
  CHECK(wf.info().width_per_mille == 350);
  CHECK(wf.info().head_templates == 25);
  CHECK(wf.info().input_height_hint == 64);
  static Graph g;
  s = Graph::build(wf, &g);
  INFO(s.message);
  REQUIRE(s.ok());
  CHECK(g.op(0).weight_fracs.valid());  // per-channel
  MemoryPlan plan;
  REQUIRE(MemoryPlan::make(g, 64, 64, Schedule::row_streamed, &plan).ok());
  std::vector<uint64_t> arena(plan.arena_bytes / 8 + 1);
  std::vector<uint8_t> rgb(64 * 64 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 7);
  IntegerOutput out{};
  REQUIRE(run_integer(g, plan, reinterpret_cast<uint8_t*>(arena.data()), plan.arena_bytes, rgb.data(), &out).ok());
  CHECK(out.shape.height == 4);
  CHECK(out.shape.channels == 125);
  long nonzero = 0;
  for (uint64_t i = 0; i < out.shape.elements(); ++i) nonzero += out.as<int16_t>()[i] != 0;
  CHECK(nonzero > 0);
}
