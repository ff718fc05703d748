// tinyq-detect: run the tinyq face detector on photos, print the boxes, write
// annotated PNGs.
//
//   tinyq-detect IMAGE|DIR... [-o OUT.png|DIR] [--model FILE] [--format w12d8|auto|w8|q9|q8|q7|q6|float]
//                [--scales 0.5,1,2] [--threshold P] [--nms IOU] [--json] [--threads N]
//
// Unreadable images and models are reported with a clear message and a non-zero
// exit status; the remaining images are still processed.
#include <stb/stb_image_write.h>
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "draw.h"
#include "thread_pool.h"
#include "image_io.h"
#include "tinyq/detect/face_detector.h"
#include "tinyq/detect/host/float_face_detector.h"

#ifndef TINYQ_DEFAULT_MODEL_DIR
#define TINYQ_DEFAULT_MODEL_DIR "models"
#endif

namespace {

constexpr int kMaxImageSide = 8192;  // larger images are refused, not resized: state it, don't guess
constexpr int kMinImageSide = 8;
// The default --threshold: the best-F1 threshold of the default model on the two validation sets
// pooled (WIDER val-40 + face_mask_853 val) at the default scales and NMS
// (tools/tinyq_tools/threshold.py; curve and command in docs/detector.md).
// The library's DetectOptions keeps 0.5.
constexpr double kDefaultThreshold = 0.26;

struct Args {
  std::vector<std::string> images;
  std::string output;
  std::string model;
  std::string format = "w12d8";  // docs/frame-cost.md: ~0.6x the time of auto at the same AP
  std::vector<double> scales = {0.5, 1.0, 2.0};
  double threshold = kDefaultThreshold;
  double nms = 0.3;
  bool json = false;
  int threads = 0;  // 0: every core
  bool scales_given = false;
  int min_face = 0, max_face = 0;  // > 0: size-driven scales (face height, image px)
};

void usage(FILE* f) {
  std::fprintf(f,
               "usage: tinyq-detect IMAGE|DIR... [-o OUT.png|DIR] [--model FILE] [--format w12d8|auto|w8|q9|q8|q7|q6|float]\n"
               "                    [--scales 0.5,1,2] [--threshold P] [--nms IOU] [--json] [--threads N]\n"
               "  -o           annotated PNG (one image) or a directory (several images)\n"
               "  --model      weights file (default: " TINYQ_DEFAULT_MODEL_DIR "/face_mnv2_a100_outA.<format>.tqw)\n"
               "  --format     w12d8 (default) = per-layer calibrated Q formats, 12-bit per-channel weights in 16-bit\n"
               "               words and 8-bit depthwise weights: the fast int32 kernel paths; auto = the same\n"
               "               with full 16-bit weights; w8 = 8-bit per-channel weights (half the weight bytes);\n"
               "               q9/q8/q7/q6 = uniform 16-bit formats; float = float reference executor (host only)\n"
               "  --scales     image scales to run (default: the model's; 0.5,1,2 for the paper's single-head\n"
               "               models, 1 for multi-exit models, whose exits cover the face sizes in one pass)\n"
               "  --threshold  minimum face probability (default %.2f: best F1 on the validation sets, docs/detector.md)\n"
               "  --nms        IoU above which a lower-scoring box is suppressed (default 0.3)\n"
               "  --json       print one JSON object per image instead of text\n"
               "  --threads N  worker threads for the integer detector (default: every core; results are\n"
               "               bit-identical for any N)\n"
               "  --min-face PX, --max-face PX\n"
               "               run only the scales (single-head models) or exits (multi-exit models) whose\n"
               "               templates find faces of that height (image pixels;\n"
               "               default range 8 px .. the image height) instead of the --scales list\n"
               "  Without --scales, photos taller than the default scales reach also run the large-face\n"
               "  octaves (0.25x, 0.125x, ...: the smallest scale's templates find faces as tall as the photo)\n",
               kDefaultThreshold);
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
      if (a->format != "w12d8" && a->format != "auto" && a->format != "w8" && a->format != "q9" && a->format != "q8" &&
          a->format != "q7" && a->format != "q6" && a->format != "float") {
        std::fprintf(stderr, "tinyq-detect: --format must be w12d8, auto, w8, q9, q8, q7, q6 or float (got '%s')\n", v);
        return false;
      }
    } else if (arg == "--scales") {
      const char* v = value("--scales");
      if (!v) return false;
      a->scales.clear();
      a->scales_given = true;
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
    } else if (arg == "--min-face" || arg == "--max-face") {
      const char* v = value(arg.c_str());
      double px = 0;
      if (!v || !parse_number(v, 1, 65536, &px) || px != double(int(px))) {
        std::fprintf(stderr, "tinyq-detect: %s must be a whole number of pixels in [1, 65536]\n", arg.c_str());
        return false;
      }
      (arg == "--min-face" ? a->min_face : a->max_face) = int(px);
    } else if (arg == "--threads") {
      const char* v = value("--threads");
      double t = 0;
      if (!v || !parse_number(v, 1, 256, &t) || t != double(int(t))) {
        std::fprintf(stderr, "tinyq-detect: --threads must be an integer in [1, 256]\n");
        return false;
      }
      a->threads = int(t);
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
  if (a->scales_given && (a->min_face > 0 || a->max_face > 0)) {
    std::fprintf(stderr, "tinyq-detect: give either --scales or --min-face/--max-face, not both\n");
    return false;
  }
  if (a->min_face > 0 && a->max_face > 0 && a->max_face < a->min_face) {
    std::fprintf(stderr, "tinyq-detect: --max-face must be >= --min-face\n");
    return false;
  }
  return true;
}

// The pictures of a directory given as input: its regular files with a picture extension
// (jpg, jpeg, png, bmp, webp; any case), sorted by name; not recursive.
bool has_picture_extension(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "bmp" || ext == "webp";
}
std::vector<std::string> pictures_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.empty() || name[0] == '.' || !has_picture_extension(name)) continue;
      const std::string path = dir + "/" + name;
      struct stat st{};
      if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back(path);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
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

constexpr std::streamoff kMaxModelBytes = std::streamoff(256) << 20;  // the largest model is ~14 MB

// A weights file, whole, in 8-byte aligned memory (the loader reads tensors in place).
// The 64-byte header is read and checked first (magic, declared size <= actual size <=
// 256 MiB), so a wrong or huge file is refused before any large read or allocation.
bool read_model(const std::string& path, std::vector<uint64_t>* words, size_t* size, std::string* why) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return *why = "cannot open the file", false;
  const std::streamoff n = f.tellg();
  if (n < 0) return *why = "not a regular file", false;
  if (n < 64) return *why = "shorter than the 64-byte weights-file header", false;
  if (n > kMaxModelBytes) return *why = "larger than 256 MiB: not a tinyq model", false;
  unsigned char header[64];
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(header), 64)) return *why = "cannot read the header", false;
  if (std::memcmp(header, "TQWF", 4) != 0) return *why = "not a tinyq weights file (magic is not \"TQWF\")", false;
  const uint64_t declared = uint64_t(header[8]) | uint64_t(header[9]) << 8 | uint64_t(header[10]) << 16 |
                            uint64_t(header[11]) << 24;
  if (declared > uint64_t(n)) return *why = "truncated: shorter than the size its header declares", false;
  words->assign((size_t(n) + 7) / 8, 0);
  f.seekg(0);
  f.read(reinterpret_cast<char*>(words->data()), n);
  *size = size_t(n);
  if (!f) return *why = "read error", false;
  return true;
}

// A JSON string body for any byte string: quotes, backslashes and control characters
// (tab, newline, ...) escaped; valid UTF-8 copied; each byte of an invalid UTF-8
// sequence becomes U+FFFD, so the output is always valid JSON and valid UTF-8.
std::string json_escape(const std::string& s) {
  std::string out;
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += char(c);
      ++i;
    } else {
      // Length and minimum code point of a UTF-8 sequence led by c (overlongs, surrogates
      // and values past U+10FFFF are invalid).
      const int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
      bool valid = len > 0 && i + size_t(len) <= n;
      for (int k = 1; valid && k < len; ++k) {
        const unsigned char t = static_cast<unsigned char>(s[i + size_t(k)]);
        valid = (t & 0xC0) == 0x80;
        cp = (cp << 6) | (t & 0x3F);
      }
      const uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
      valid = valid && cp >= min_cp && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
      if (valid) {
        out.append(s, i, size_t(len));
        i += size_t(len);
      } else {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      }
    }
  }
  return out;
}

// "0.5x" for a Q8 scale.
std::string scale_name(int32_t scale_q8) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gx", scale_q8 / 256.0);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, &args)) return 2;
  if (args.model.empty()) args.model = std::string(TINYQ_DEFAULT_MODEL_DIR) + "/face_mnv2_a100_outA." + args.format + ".tqw";
  // Directories given as inputs stand for the pictures in them.
  std::vector<std::string> inputs;
  bool any_directory = false;
  for (const std::string& in : args.images) {
    if (in != "-" && is_directory(in)) {
      any_directory = true;
      const std::vector<std::string> found = pictures_in(in);
      if (found.empty()) std::fprintf(stderr, "tinyq-detect: no .jpg/.jpeg/.png/.bmp/.webp files in '%s'\n", in.c_str());
      inputs.insert(inputs.end(), found.begin(), found.end());
    } else {
      inputs.push_back(in);
    }
  }
  if (inputs.empty()) return 1;
  args.images = inputs;
  if ((args.images.size() > 1 || any_directory) && !args.output.empty() && !is_directory(args.output)) {
    std::fprintf(stderr, "tinyq-detect: with several images or a directory, -o must be an existing directory\n");
    return 2;
  }

  std::vector<uint64_t> model_words;
  size_t model_size = 0;
  std::string why;
  if (!read_model(args.model, &model_words, &model_size, &why)) {
    std::fprintf(stderr, "tinyq-detect: cannot read model '%s': %s\n", args.model.c_str(), why.c_str());
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

  // Pack the pointwise weights once for this CPU (FaceDetector::prepare): no detect call
  // packs them again. Kept for the detector's lifetime.
  std::vector<uint8_t> prepared(use_float ? 0 : detector.prepared_bytes());
  if (!use_float) {
    const tinyq::model::Status p = detector.prepare(prepared.data(), prepared.size());
    if (!p.ok()) {
      std::fprintf(stderr, "tinyq-detect: cannot prepare model '%s': %s (%s)\n", args.model.c_str(), p.message,
                   tinyq::model::error_name(p.code));
      return 1;
    }
  }

  // The model's own default scales (one 1x pass for multi-exit models, Tiny-Face's 0.5x, 1x,
  // 2x for the paper's single-head ones) unless --scales overrides them.
  const tinyq::ExitLayouts& exits = use_float ? float_detector.exit_layouts() : detector.exit_layouts();
  tinyq::DetectOptions options;
  if (args.scales_given || exits.count == 1) {
    options.num_scales = int(args.scales.size());
    for (int i = 0; i < options.num_scales; ++i) options.scales_q8[i] = int32_t(std::lround(args.scales[i] * 256));
  } else {
    options.scales_q8[0] = 256;
    options.num_scales = 1;
  }
  options.threshold_q30 = int32_t(std::lround(args.threshold * (1 << 30)));
  options.nms_iou_q16 = int32_t(std::lround(args.nms * 65536));
  // A host has memory to spare: whole tensors (faster on x86 than the fused row-streamed
  // blocks, which exist to fit the K210's SRAM). The boxes are bit-identical either way.
  options.schedule = tinyq::model::Schedule::layer_by_layer;

  const int threads = args.threads > 0 ? args.threads : std::max(1, int(std::thread::hardware_concurrency()));
  tinyq_cli::ThreadPool pool(use_float ? 1 : threads);
  const tinyq::ParallelFor parallel = pool.parallel_for();

  int failures = 0;
  std::vector<tinyq::Detection> detections(size_t(options.max_candidates));  // every box NMS can keep
  std::vector<uint8_t> arena_storage;  // the detector's arena, 16-byte aligned inside
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
    tinyq::model::Status s = tinyq::model::ok_status();
    // Size-driven: the scales (single-head models) or exits (multi-exit models) that find
    // faces of the asked heights.
    tinyq::DetectOptions opts = options;
    if (args.min_face > 0 || args.max_face > 0) {
      const int lo = args.min_face > 0 ? args.min_face : 8;
      const int hi = args.max_face > 0 ? args.max_face : std::max(h, lo);
      if (tinyq::choose_exits_for_faces(exits, lo, hi, &opts) == 0) {
        s = tinyq::model::make_error(tinyq::model::Error::bad_options,
                                     "no scale or exit of this model finds faces of the --min-face/--max-face heights");
      } else {
        std::string list;
        for (int sc = 0; sc < opts.num_scales; ++sc) list += (sc ? "," : "") + scale_name(opts.scales_q8[sc]);
        std::string used;
        for (int e = 0; exits.count > 1 && e < exits.count; ++e)
          if (opts.exit_mask & (1u << e)) used += (used.empty() ? ", exits " : ",") + std::to_string(e);
        std::fprintf(stderr, "[%zu/%zu] %s: faces %d..%d px: scales %s%s\n", k + 1, n, path.c_str(), lo, hi,
                     list.c_str(), used.c_str());
      }
    } else if (!args.scales_given) {
      // Large faces: the octaves below the smallest scale, as many as this photo's height asks.
      const int added = tinyq::add_large_face_scales(exits, h, &opts);
      if (added > 0) {
        std::string list;
        for (int sc = 0; sc < added; ++sc) list += (sc ? "," : "") + scale_name(opts.scales_q8[sc]);
        std::fprintf(stderr, "[%zu/%zu] %s: faces up to %d px: large-face scales %s added\n", k + 1, n, path.c_str(), h,
                     list.c_str());
      }
    }
    uint8_t* arena = nullptr;
    size_t arena_size = 0;
    if (!use_float && s.ok()) {
      // Sized and allocated before the timer: one arena, grown for the largest image so
      // far and reused. Tiles bound it whatever the photo size; say when a scale is tiled.
      s = detector.arena_bytes(w, h, opts, &arena_size);
      if (s.ok()) {
        for (int sc = 0; sc < opts.num_scales; ++sc) {
          const tinyq::TileGrid g = detector.tiles_for(w, h, opts, sc);
          if (g.tiled())
            std::fprintf(stderr, "[%zu/%zu] %s: scale %s: %dx%d network input in %dx%d tiles of %dx%d\n", k + 1, n,
                         path.c_str(), scale_name(g.scale_q8).c_str(), g.input.resized_w, g.input.resized_h, g.x.tiles,
                         g.y.tiles, g.x.length, g.y.length);
        }
        if (arena_storage.size() < arena_size + 16) arena_storage.resize(arena_size + 16);
        arena = arena_storage.data() + (16 - reinterpret_cast<uintptr_t>(arena_storage.data()) % 16) % 16;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (use_float && s.ok()) {
      std::vector<tinyq::Detection> found;
      s = float_detector.detect(image, opts, &found);
      count = int(std::min(found.size(), detections.size()));
      std::copy(found.begin(), found.begin() + count, detections.begin());
    } else if (s.ok()) {
      s = detector.detect(image, opts, arena, arena_size, detections.data(), int(detections.size()), &count, nullptr,
                          &parallel);
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
