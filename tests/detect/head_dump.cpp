// tinyq-head-dump MODEL.tqw INPUT.rgb HEIGHT WIDTH OUT.f32
// Runs one network input (uint8 RGB, HEIGHT x WIDTH, already padded) through the
// model's graph and writes the head (NHWC) as float32: the float reference executor for
// float32 models, the integer executor (dequantized output) for integer ones. A multi-exit
// model writes every exit's head, exit 0 first, one after the other. Used by
// tools/tests/test_cpp_head.py to hold the C++ paths against PyTorch.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "tinyq/model/executor.h"
#include "tinyq/model/host/float_executor.h"

int main(int argc, char** argv) {
  using namespace tinyq::model;
  if (argc != 6) {
    std::fprintf(stderr, "usage: tinyq-head-dump MODEL.tqw INPUT.rgb HEIGHT WIDTH OUT.f32\n");
    return 2;
  }
  std::ifstream mf(argv[1], std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(mf)), std::istreambuf_iterator<char>());
  std::vector<uint64_t> words(bytes.size() / 8 + 1);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(words.data()));
  const int h = std::atoi(argv[3]), w = std::atoi(argv[4]);
  std::ifstream inf(argv[2], std::ios::binary);
  std::vector<uint8_t> rgb((std::istreambuf_iterator<char>(inf)), std::istreambuf_iterator<char>());
  if (h < 32 || w < 32 || rgb.size() != size_t(h) * w * 3) {
    std::fprintf(stderr, "input must be HEIGHT x WIDTH x 3 bytes, sides >= 32\n");
    return 1;
  }
  static WeightsFile file;
  static Graph graph;
  Status s = WeightsFile::open(reinterpret_cast<const uint8_t*>(words.data()), bytes.size(), &file);
  if (s.ok()) s = Graph::build(file, &graph);
  if (!s.ok()) {
    std::fprintf(stderr, "model rejected: %s\n", s.message);
    return 1;
  }
  if (graph.exit_count() == 0) {
    std::fprintf(stderr, "model has no head\n");
    return 1;
  }
  std::vector<float> out;
  if (graph.is_integer()) {
    static MemoryPlan plan;
    s = MemoryPlan::make(graph, h, w, Schedule::row_streamed, &plan);
    std::vector<uint64_t> arena(s.ok() ? plan.arena_bytes / 8 + 2 : 0);
    IntegerOutput last{};
    uint8_t* a = reinterpret_cast<uint8_t*>(arena.data());
    if (s.ok()) s = run_integer(graph, plan, a, arena.size() * 8, rgb.data(), &last);
    for (int k = 0; s.ok() && k < graph.exit_count(); ++k) {
      const IntegerOutput head = integer_value(graph, plan, a, graph.exit(k).value);
      for (uint64_t i = 0; i < head.shape.elements(); ++i)
        out.push_back(float((head.dtype == DType::int16 ? head.as<int16_t>()[i] : head.as<int8_t>()[i]) *
                            std::ldexp(1.0, -head.frac)));
    }
  } else {
    FloatTensor last;
    std::vector<FloatTensor> values;
    s = FloatExecutor(graph).run(normalise_input(graph.info(), rgb.data(), h, w), &last, &values);
    for (int k = 0; s.ok() && k < graph.exit_count(); ++k) {
      const std::vector<float>& d = values[size_t(graph.exit(k).value)].data;
      out.insert(out.end(), d.begin(), d.end());
    }
  }
  if (!s.ok()) {
    std::fprintf(stderr, "run failed: %s\n", s.message);
    return 1;
  }
  std::ofstream of(argv[5], std::ios::binary);
  of.write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size() * sizeof(float)));
  return of ? 0 : 1;
}
