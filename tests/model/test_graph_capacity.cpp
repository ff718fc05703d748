// The graph's op-count guard: built with TINYQ_MAX_OPS = 40 (below MobileNetV2's ~60
// ops), Graph::build must fail with graph_too_large and never write past its op array
// (ASan in the sanitize preset). This program is its own executable: one value of the
// macro per program.
#include <catch2/catch.hpp>

#include "model_test_util.h"
#include "tinyq/model/mobilenet_v2.h"

static_assert(tinyq::model::kMaxOps == 40, "this test is built with -DTINYQ_MAX_OPS=40");

TEST_CASE("Graph::build refuses a graph larger than kMaxOps", "[errors][graph]") {
  using namespace tinyq::model;
  for (OutputVariant out : {OutputVariant::A, OutputVariant::B, OutputVariant::C}) {
    tinyq_test::SyntheticOptions o;
    o.output = out;
    tinyq_test::Buffer b = tinyq_test::synthetic_buffer(o);
    WeightsFile f;
    REQUIRE(WeightsFile::open(b.data(), b.size, &f).ok());
    static Graph g;
    const Status s = Graph::build(f, &g);
    CHECK(s.code == Error::graph_too_large);
    CHECK(g.op_count() <= kMaxOps);
  }
}
