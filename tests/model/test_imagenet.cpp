// ImageNet cross-check on the shared MobileNetV2 1.0 weights (TFLite, dequantized, BN
// folded): the float reference executor must reproduce the reference logits and top-5;
// the integer executor at uniform Q9/Q8/Q7 and at calibrated per-layer formats is compared
// with the float top-1. The data is converted at build time (tests/model/CMakeLists.txt);
// without ../shared the tests report SKIPPED.
#include <catch2/catch.hpp>
#include <math.h>
#include <stdio.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

#include "tinyq/model/executor.h"
#include "tinyq/model/host/float_executor.h"
#include "tinyq/model/host/quantize.h"

using namespace tinyq::model;

namespace {

struct Image {
  std::string name;
  std::vector<uint8_t> rgb;
  std::vector<float> logits, fakequant;
};

struct ImagenetData {
  std::vector<uint64_t> file;  // 8-byte aligned
  size_t size = 0;
  std::vector<Image> images;
  bool ok = false;
};

const ImagenetData& data() {
  static ImagenetData d = [] {
    ImagenetData r;
    const std::string dir = TINYQ_IMAGENET_DIR;
    std::ifstream f(dir + "/imagenet_float.tqw", std::ios::binary);
    std::ifstream ref(dir + "/imagenet_reference.bin", std::ios::binary);
    if (!f || !ref) return r;
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    r.size = bytes.size();
    r.file.resize(bytes.size() / 8 + 1);
    memcpy(r.file.data(), bytes.data(), bytes.size());
    for (int i = 0; i < 4; ++i) {
      Image im;
      char name[16];
      ref.read(name, 16);
      im.name.assign(name, strnlen(name, 16));
      im.rgb.resize(224 * 224 * 3);
      im.logits.resize(1001);
      im.fakequant.resize(1001);
      ref.read(reinterpret_cast<char*>(im.rgb.data()), im.rgb.size());
      ref.read(reinterpret_cast<char*>(im.logits.data()), 4 * 1001);
      ref.read(reinterpret_cast<char*>(im.fakequant.data()), 4 * 1001);
      if (!ref) return r;
      r.images.push_back(std::move(im));
    }
    r.ok = true;
    return r;
  }();
  return d;
}

bool skip() {
  if (data().ok) return false;
  WARN("SKIPPED: ImageNet data not found in " TINYQ_IMAGENET_DIR
       " (needs ../shared/data/mobilenet_v2_imagenet and /usr/bin/python3 with numpy at configure time)");
  return true;
}

std::vector<int> top_k(const float* v, int n, int k) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) { return v[a] > v[b]; });
  idx.resize(k);
  return idx;
}

struct FloatModel {
  WeightsFile wf;
  Graph g;
};

FloatModel& float_model() {
  static FloatModel m;
  static bool done = false;
  if (!done) {
    const Status s = WeightsFile::open(reinterpret_cast<const uint8_t*>(data().file.data()), data().size, &m.wf);
    INFO(s.message);
    REQUIRE(s.ok());
    const Status s2 = Graph::build(m.wf, &m.g);
    INFO(s2.message);
    REQUIRE(s2.ok());
    done = true;
  }
  return m;
}

// Float activations of every image (for calibration and top-1 reference).
const std::vector<std::vector<FloatTensor>>& float_runs() {
  static std::vector<std::vector<FloatTensor>> runs;
  if (runs.empty()) {
    FloatModel& m = float_model();
    FloatExecutor ex(m.g);
    for (const Image& im : data().images) {
      FloatTensor out;
      std::vector<FloatTensor> values;
      REQUIRE(ex.run(normalise_input(m.g.info(), im.rgb.data(), 224, 224), &out, &values).ok());
      runs.push_back(std::move(values));
    }
  }
  return runs;
}

}  // namespace

TEST_CASE("ImageNet [needs ../shared]: float reference matches the TFLite-derived float logits and top-5",
          "[imagenet][float]") {
  if (skip()) return;
  FloatModel& m = float_model();
  const auto& runs = float_runs();
  double worst = 0;
  for (size_t i = 0; i < data().images.size(); ++i) {
    const Image& im = data().images[i];
    const std::vector<float>& got = runs[i][m.g.output_value()].data;
    REQUIRE(got.size() == 1001);
    double max_diff = 0, max_ref = 0, max_elem_rel = 0;
    for (int k = 0; k < 1001; ++k) {
      const double d = fabs(double(got[k]) - im.logits[k]);
      max_diff = std::max(max_diff, d);
      max_ref = std::max(max_ref, fabs(double(im.logits[k])));
      if (fabs(im.logits[k]) > 1) max_elem_rel = std::max(max_elem_rel, d / fabs(im.logits[k]));
    }
    const double rel = max_diff / max_ref;
    worst = std::max(worst, rel);
    printf("imagenet float %-13s max|diff| %.3g  max|diff|/max|ref| %.3g  (elementwise, |ref|>1: %.3g)  top-1 %d\n",
           im.name.c_str(), max_diff, rel, max_elem_rel, top_k(got.data(), 1001, 1)[0]);
    CHECK(rel <= 1e-4);
    CHECK(top_k(got.data(), 1001, 5) == top_k(im.logits.data(), 1001, 5));
  }
  printf("imagenet float worst relative error %.3g (bound 1e-4)\n", worst);
}

TEST_CASE("ImageNet [needs ../shared]: integer executor top-1 agreement at Q9/Q8/Q7 and calibrated formats",
          "[imagenet][integer]") {
  if (skip()) return;
  FloatModel& m = float_model();
  const auto& runs = float_runs();
  const int nv = m.g.value_count();
  std::vector<int> float_top1;
  for (const auto& r : runs) float_top1.push_back(top_k(r[m.g.output_value()].data.data(), 1001, 1)[0]);

  struct Config {
    const char* name;
    QuantizeOptions o;
    int floor;  // minimum agreeing images out of 4
  };
  std::vector<Config> configs;
  for (int n : {9, 8, 7}) {
    Config c{nullptr, {}, 0};
    c.o.activation_fracs.assign(nv, n);
    c.o.uniform_weight_frac = -1;
    c.floor = 4;  // observed 4/4 at Q9, Q8 and Q7
    configs.push_back(c);
    configs.back().name = n == 9 ? "Q9 acts, int16 weights by range" : n == 8 ? "Q8 acts, int16 weights by range" : "Q7 acts, int16 weights by range";
    Config u = c;
    u.o.uniform_weight_frac = n;
    u.floor = 3;  // observed 4/4
    u.name = n == 9 ? "Q9 everything (paper)" : n == 8 ? "Q8 everything (paper)" : "Q7 everything (paper)";
    configs.push_back(u);
  }
  {
    Config c{"calibrated int16 acts, int16 weights", {}, 4};
    c.o.activation_fracs = calibrate_fracs(runs, DType::int16);
    configs.push_back(c);
    Config p{"calibrated int16 acts, int8 per-channel weights", {}, 3};  // observed 4/4
    p.o.activation_fracs = c.o.activation_fracs;
    p.o.weight_dtype = DType::int8;
    p.o.per_channel = true;
    configs.push_back(p);
    Config e{"calibrated int8 acts, int8 per-channel weights", {}, 3};  // observed 4/4
    e.o.activation_fracs = calibrate_fracs(runs, DType::int8);
    e.o.activation_dtype = DType::int8;
    e.o.weight_dtype = DType::int8;
    e.o.per_channel = true;
    configs.push_back(e);
  }
  for (const Config& c : configs) {
    size_t size = 0;
    std::vector<uint64_t> file = quantize_model(m.g, c.o, &size);
    REQUIRE(size > 0);
    WeightsFile wf;
    Status s = WeightsFile::open(reinterpret_cast<const uint8_t*>(file.data()), size, &wf);
    INFO(c.name << ": " << s.message);
    REQUIRE(s.ok());
    static Graph g;
    s = Graph::build(wf, &g);
    INFO(s.message);
    REQUIRE(s.ok());
    MemoryPlan plan;
    REQUIRE(MemoryPlan::make(g, 224, 224, Schedule::layer_by_layer, &plan).ok());
    std::vector<uint64_t> arena(plan.arena_bytes / 8 + 2);
    int agree = 0;
    double worst_rel = 0;
    std::string tops;
    for (size_t i = 0; i < data().images.size(); ++i) {
      IntegerOutput out{};
      s = run_integer(g, plan, reinterpret_cast<uint8_t*>(arena.data()), arena.size() * 8, data().images[i].rgb.data(), &out);
      REQUIRE(s.ok());
      std::vector<float> logits(1001);
      for (int k = 0; k < 1001; ++k)
        logits[k] = ldexpf(out.dtype == DType::int16 ? out.as<int16_t>()[k] : out.as<int8_t>()[k], -out.frac);
      const int t1 = top_k(logits.data(), 1001, 1)[0];
      agree += t1 == float_top1[i];
      tops += std::to_string(t1) + " ";
      const std::vector<float>& ref = runs[i][m.g.output_value()].data;
      double md = 0, mr = 0;
      for (int k = 0; k < 1001; ++k) {
        md = std::max(md, fabs(double(logits[k]) - ref[k]));
        mr = std::max(mr, fabs(double(ref[k])));
      }
      worst_rel = std::max(worst_rel, md / mr);
    }
    printf("imagenet integer %-48s top-1 agreement %d/4  (top-1: %s)  max|logit diff|/max|logit| %.3g\n", c.name, agree,
           tops.c_str(), worst_rel);
    CHECK(agree >= c.floor);
  }
}
