// The fuzz harnesses' own helpers (fuzz_support.h), which the targets' verdicts rest on:
// a repaired mutation loads again (CRCs verified), check_plan
// accepts real plans and rejects overlapping or out-of-arena ones.
#include <catch2/catch.hpp>

#include <vector>

#include "../model/model_test_util.h"
#include "fuzz/fuzz_support.h"
#include "tinyq/model/crc32.h"
#include "tinyq/model/memory_plan.h"

using namespace tinyq::model;
using namespace tinyq_test;

TEST_CASE("repair_crcs makes a payload mutation pass CRC verification", "[fuzz]") {
  SyntheticOptions o;
  o.width_per_mille = 350;
  o.head_templates = 2;
  Buffer b = synthetic_buffer(o);
  WeightsFile wf;
  REQUIRE(WeightsFile::open(b.data(), b.size, &wf).ok());
  b[get32(entry(b, 3) + 80)] ^= 0x40;  // one payload byte
  CHECK(WeightsFile::open(b.data(), b.size, &wf).code == Error::tensor_crc_mismatch);
  tinyq_fuzz::repair_crcs(b.data(), b.size);
  CHECK(WeightsFile::open(b.data(), b.size, &wf).ok());
  b[17] ^= 1;  // the tensor count: the table no longer fits, repair must stay inside the buffer
  tinyq_fuzz::repair_crcs(b.data(), b.size);
  CHECK_FALSE(WeightsFile::open(b.data(), b.size, &wf).ok());
}

TEST_CASE("check_plan accepts real plans and catches overlaps and overruns", "[fuzz]") {
  SyntheticOptions o;
  o.width_per_mille = 350;
  o.output = OutputVariant::C;
  o.head_templates = 2;
  Buffer b = synthetic_buffer(o);
  WeightsFile wf;
  REQUIRE(WeightsFile::open(b.data(), b.size, &wf).ok());
  static Graph g;
  REQUIRE(Graph::build(wf, &g).ok());
  static MemoryPlan plan;
  for (const Schedule sc : {Schedule::layer_by_layer, Schedule::row_streamed}) {
    REQUIRE(MemoryPlan::make(g, 64, 96, sc, &plan).ok());
    tinyq_fuzz::PlanVerdict ok = tinyq_fuzz::plan_verdict(g, plan);
    CHECK(ok.sound);
    // the input and the first op's output are alive together (kernels are not in-place)
    static MemoryPlan bad;
    bad = plan;
    bad.offset[1] = bad.offset[0];
    CHECK_FALSE(tinyq_fuzz::plan_verdict(g, bad).sound);
    bad = plan;
    bad.arena_bytes -= 16;
    CHECK_FALSE(tinyq_fuzz::plan_verdict(g, bad).sound);
    bad = plan;
    bad.offset[0] += 8;  // misaligned
    CHECK_FALSE(tinyq_fuzz::plan_verdict(g, bad).sound);
  }
}
