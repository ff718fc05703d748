// tinyq-detect: run the tinyq face detector on photos, print the boxes, write
// annotated PNGs.
//
//   tinyq-detect IMAGE... [-o OUT.png|DIR] [--model FILE] [--format auto|q9|q8|q7|q6|float]
//                [--scales 0.5,1,2] [--threshold P] [--nms IOU] [--json]
//
// Unreadable images and models are reported with a clear message and a non-zero
// exit status; the remaining images are still processed.
#include <stb/stb_image_write.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "draw.h"
#include "image_io.h"
#include "tinyq/detect/face_detector.h"
#include "tinyq/detect/host/float_face_detector.h"

#ifndef TINYQ_DEFAULT_MODEL_DIR
#define TINYQ_DEFAULT_MODEL_DIR "models"
#endif

namespace {

constexpr int kMaxImageSide = 8192;  // larger images are refused, not resized: state it, don't guess
constexpr int kMinImageSide = 8;

struct Args {
  std::vector<std::string> images;
  std::string output;
  std::string model;
  std::string format = "auto";
  std::vector<double> scales = {0.5, 1.0, 2.0};
  double threshold = 0.5;
  double nms = 0.3;
  bool json = false;
};

void usage(FILE* f) {
  std::fprintf(f,
               "usage: tinyq-detect IMAGE... [-o OUT.png|DIR] [--model FILE] [--format auto|q9|q8|q7|q6|float]\n"
               "                    [--scales 0.5,1,2] [--threshold P] [--nms IOU] [--json]\n"
               "  -o           annotated PNG (one image) or a directory (several images)\n"
               "  --model      weights file (default: " TINYQ_DEFAULT_MODEL_DIR "/face_mnv2_a100_outA.<format>.tqw)\n"
               "  --format     auto = per-layer calibrated Q formats (default); q9/q8/q7/q6 = uniform 16-bit formats;\n"
               "               float = float reference executor (host only)\n"
               "  --scales     image scales for multi-scale detection (default 0.5,1,2)\n"
               "  --threshold  minimum face probability (default 0.5)\n"
               "  --nms        IoU above which a lower-scoring box is suppressed (default 0.3)\n"
               "  --json       print one JSON object per image instead of text\n");
}

bool parse_number(const char* s, double lo, double hi, double* out) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

bool parse_args(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tinyq-detect: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      std::exit(0);
    } else if (arg == "-o") {
      const char* v = value("-o");
      if (!v) return false;
      a->output = v;
    } else if (arg == "--model") {
      const char* v = value("--model");
      if (!v) return false;
      a->model = v;
    } else if (arg == "--format") {
      const char* v = value("--format");
      if (!v) return false;
      a->format = v;
      if (a->format != "auto" && a->format != "q9" && a->format != "q8" && a->format != "q7" && a->format != "q6" &&
          a->format != "float") {
        std::fprintf(stderr, "tinyq-detect: --format must be auto, q9, q8, q7, q6 or float (got '%s')\n", v);
        return false;
      }
    } else if (arg == "--scales") {
      const char* v = value("--scales");
      if (!v) return false;
      a->scales.clear();
      std::string list = v;
      size_t start = 0;
      while (start <= list.size()) {
        const size_t comma = list.find(',', start);
        const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        double s = 0;
        if (!parse_number(item.c_str(), 0.0625, 8.0, &s)) {
          std::fprintf(stderr, "tinyq-detect: bad scale '%s' (each must be in [0.0625, 8])\n", item.c_str());
          return false;
        }
        a->scales.push_back(s);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      if (a->scales.empty() || a->scales.size() > tinyq::DetectOptions::kMaxScales) {
        std::fprintf(stderr, "tinyq-detect: give 1 to %d scales\n", tinyq::DetectOptions::kMaxScales);
        return false;
      }
    } else if (arg == "--threshold") {
      const char* v = value("--threshold");
      if (!v || !parse_number(v, 0.0, 1.0, &a->threshold)) {
        std::fprintf(stderr, "tinyq-detect: --threshold must be a probability in [0, 1]\n");
        return false;
      }
    } else if (arg == "--nms") {
      const char* v = value("--nms");
      if (!v || !parse_number(v, 0.0, 1.0, &a->nms)) {
        std::fprintf(stderr, "tinyq-detect: --nms must be an IoU in [0, 1]\n");
        return false;
      }
    } else if (arg == "--json") {
      a->json = true;
    } else if (arg.size() > 1 && arg[0] == '-') {  // a lone "-" is stdin
      std::fprintf(stderr, "tinyq-detect: unknown option '%s'\n", arg.c_str());
      return false;
    } else {
      a->images.push_back(arg);
    }
  }
  if (a->images.empty()) {
    usage(stderr);
    return false;
  }
  return true;
}

bool is_directory(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

// The whole file, in 8-byte aligned memory (the loader reads tensors in place).
bool read_file(const std::string& path, std::vector<uint64_t>* words, size_t* size) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return false;
  const std::streamoff n = f.tellg();
  if (n < 0 || n > (std::streamoff(1) << 31)) return false;
  words->assign((size_t(n) + 7) / 8, 0);
  f.seekg(0);
  f.read(reinterpret_cast<char*>(words->data()), n);
  *size = size_t(n);
  return bool(f);
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, &args)) return 2;
  if (args.model.empty()) args.model = std::string(TINYQ_DEFAULT_MODEL_DIR) + "/face_mnv2_a100_outA." + args.format + ".tqw";
  if (args.images.size() > 1 && !args.output.empty() && !is_directory(args.output)) {
    std::fprintf(stderr, "tinyq-detect: with several images, -o must be an existing directory\n");
    return 2;
  }

  std::vector<uint64_t> model_words;
  size_t model_size = 0;
  if (!read_file(args.model, &model_words, &model_size)) {
    std::fprintf(stderr, "tinyq-detect: cannot read model '%s'\n", args.model.c_str());
    return 1;
  }
  // Integer models run on the integer FaceDetector (the product); a float32 model runs on
  // the float reference executor with the same resize, decode and NMS.
  const uint8_t* model_bytes = reinterpret_cast<const uint8_t*>(model_words.data());
  tinyq::FaceDetector detector;
  tinyq::FloatFaceDetector float_detector;
  tinyq::model::Status opened = tinyq::FaceDetector::open(model_bytes, model_size, &detector);
  const bool use_float = opened.code == tinyq::model::Error::not_integer_model;
  if (use_float) opened = tinyq::FloatFaceDetector::open(model_bytes, model_size, &float_detector);
  if (!opened.ok()) {
    std::fprintf(stderr, "tinyq-detect: model '%s' rejected: %s (%s)\n", args.model.c_str(), opened.message,
                 tinyq::model::error_name(opened.code));
    return 1;
  }

  tinyq::DetectOptions options;
  options.num_scales = int(args.scales.size());
  for (int i = 0; i < options.num_scales; ++i) options.scales_q8[i] = int32_t(std::lround(args.scales[i] * 256));
  options.threshold_q30 = int32_t(std::lround(args.threshold * (1 << 30)));
  options.nms_iou_q16 = int32_t(std::lround(args.nms * 65536));
  // A host has memory to spare: whole tensors (faster on x86 than the fused row-streamed
  // blocks, which exist to fit the K210's SRAM). The boxes are bit-identical either way.
  options.schedule = tinyq::model::Schedule::layer_by_layer;

  int failures = 0;
  std::vector<tinyq::Detection> detections(size_t(options.max_candidates));  // every box NMS can keep
  std::vector<uint8_t> arena;
  const size_t n = args.images.size();
  for (size_t k = 0; k < n; ++k) {
    const std::string& path = args.images[k];
    // Read once ('-' = stdin), format from the bytes, hostile files refused (image_io.h).
    tinyq_cli::ImageLimits limits;
    limits.min_side = kMinImageSide;
    limits.max_side = kMaxImageSide;
    tinyq_cli::RgbImage decoded;
    tinyq_cli::ImageError why;
    if (!tinyq_cli::load_image(path.c_str(), limits, &decoded, &why)) {
      std::fprintf(stderr, "[%zu/%zu] %s: cannot read image: %s\n", k + 1, n, path.c_str(), why.text);
      ++failures;
      continue;
    }
    const int w = decoded.width, h = decoded.height;
    uint8_t* pixels = decoded.pixels.get();
    const tinyq::ImageView image{pixels, w, h, w * 3};
    int count = 0;
    const auto t0 = std::chrono::steady_clock::now();
    tinyq::model::Status s = tinyq::model::ok_status();
    if (use_float) {
      std::vector<tinyq::Detection> found;
      s = float_detector.detect(image, options, &found);
      count = int(std::min(found.size(), detections.size()));
      std::copy(found.begin(), found.begin() + count, detections.begin());
    } else {
      const size_t need = detector.arena_bytes(w, h, options);
      arena.resize(need + 16);
      uint8_t* aligned = arena.data() + (16 - reinterpret_cast<uintptr_t>(arena.data()) % 16) % 16;
      s = detector.detect(image, options, aligned, need, detections.data(), int(detections.size()), &count);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) {
      std::fprintf(stderr, "[%zu/%zu] %s: detection failed: %s\n", k + 1, n, path.c_str(), s.message);
      ++failures;
      continue;
    }
    std::fprintf(stderr, "[%zu/%zu] %s: %dx%d, %d face%s, %.1f ms\n", k + 1, n, path.c_str(), w, h, count,
                 count == 1 ? "" : "s", ms);

    if (args.json) {
      std::printf("{\"image\": \"%s\", \"width\": %d, \"height\": %d, \"faces\": [", json_escape(path).c_str(), w, h);
      for (int i = 0; i < count; ++i) {
        const auto& d = detections[size_t(i)];
        std::printf("%s{\"x0\": %d, \"y0\": %d, \"x1\": %d, \"y1\": %d, \"score\": %.4f, \"score_q30\": %d}",
                    i ? ", " : "", d.box.x0, d.box.y0, d.box.x1, d.box.y1, d.score_q30 / double(1 << 30), d.score_q30);
      }
      std::printf("]}\n");
    } else {
      for (int i = 0; i < count; ++i) {
        const auto& d = detections[size_t(i)];
        std::printf("%s\t%d\t%d\t%d\t%d\t%.4f\n", path.c_str(), d.box.x0, d.box.y0, d.box.x1, d.box.y1,
                    d.score_q30 / double(1 << 30));
      }
    }

    if (!args.output.empty()) {
      const int thickness = std::max(2, std::min(w, h) / 250);
      const int text_scale = std::max(2, std::min(w, h) / 200);
      for (int i = count - 1; i >= 0; --i) {  // best box drawn last, on top
        const auto& d = detections[size_t(i)];
        tinyq_cli::draw_box(pixels, w, h, d.box.x0, d.box.y0, d.box.x1, d.box.y1, thickness, {40, 255, 60});
        char label[16];
        std::snprintf(label, sizeof label, "%.2f", d.score_q30 / double(1 << 30));
        tinyq_cli::draw_label(pixels, w, h, d.box.x0, std::max(0, d.box.y0 - 10 * text_scale), label, text_scale,
                              {40, 255, 60});
      }
      const std::string out_path =
          is_directory(args.output) ? args.output + "/" + base_name(path) + ".png" : args.output;
      if (!stbi_write_png(out_path.c_str(), w, h, 3, pixels, w * 3)) {
        std::fprintf(stderr, "tinyq-detect: cannot write '%s'\n", out_path.c_str());
        ++failures;
      } else {
        std::fprintf(stderr, "annotated image written to %s\n", out_path.c_str());
      }
    }
  }
  return failures == 0 ? 0 : 1;
}
