// decode_image (the CLI's decode path, examples/detect/image_io.h): formats from the bytes,
// the size limits at their edges, the memory budget, every committed seed and hostile file,
// pixel values across formats (the same picture as lossless PNG, BMP and WebP), and the
// zero-filling, budgeted allocator stb runs on.
#include <stb/stb_image_write.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string>
#include <vector>

#include "image_io.h"
#include "stb_decode.h"

using namespace tinyq_cli;

namespace {

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::vector<uint8_t> bytes;
  ImageError error;
  REQUIRE(read_file_capped(path.c_str(), size_t(1) << 24, &bytes, &error));
  return bytes;
}

std::vector<std::string> seed_names() {
  std::vector<std::string> names;
  DIR* dir = opendir(TINYQ_IMAGE_SEEDS);
  REQUIRE(dir != nullptr);
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  closedir(dir);
  return names;
}

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

// A w x h picture written by stb_image_write (PNG or JPEG), in memory.
std::vector<uint8_t> encoded(int w, int h, bool jpeg) {
  std::vector<uint8_t> rgb(size_t(w) * size_t(h) * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = uint8_t(i * 7 % 251);
  std::vector<uint8_t> out;
  const int ok = jpeg ? stbi_write_jpg_to_func(append, &out, w, h, 3, rgb.data(), 90)
                      : stbi_write_png_to_func(append, &out, w, h, 3, rgb.data(), w * 3);
  REQUIRE(ok);
  return out;
}

bool decodes(const std::vector<uint8_t>& bytes, const ImageLimits& limits, RgbImage* image, ImageError* error) {
  return decode_image(bytes.data(), bytes.size(), limits, image, error);
}

}  // namespace

TEST_CASE("the format comes from the first bytes, not the name") {
  const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0};
  const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  const uint8_t webp[] = {'R', 'I', 'F', 'F', 1, 0, 0, 0, 'W', 'E', 'B', 'P'};
  const uint8_t riff_wave[] = {'R', 'I', 'F', 'F', 1, 0, 0, 0, 'W', 'A', 'V', 'E'};
  const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a'};
  CHECK(sniff_format(jpeg, sizeof jpeg) == ImageFormat::jpeg);
  CHECK(sniff_format(jpeg, 2) == ImageFormat::unknown);
  CHECK(sniff_format(png, sizeof png) == ImageFormat::png);
  CHECK(sniff_format(png, 7) == ImageFormat::unknown);
  CHECK(sniff_format(reinterpret_cast<const uint8_t*>("BM"), 2) == ImageFormat::bmp);
  CHECK(sniff_format(webp, sizeof webp) == ImageFormat::webp);
  CHECK(sniff_format(riff_wave, sizeof riff_wave) == ImageFormat::unknown);
  CHECK(sniff_format(gif, sizeof gif) == ImageFormat::unknown);
  CHECK(sniff_format(nullptr, 0) == ImageFormat::unknown);
  const std::vector<uint8_t> named_jpeg = file_bytes(std::string(TINYQ_IMAGE_SEEDS) + "/webp_named_jpeg.jpg");
  CHECK(sniff_format(named_jpeg.data(), named_jpeg.size()) == ImageFormat::webp);
}

TEST_CASE("sides from 8 to 8192 pixels decode, one pixel outside is refused with the size") {
  const ImageLimits limits;  // the CLI's: 8..8192
  for (bool jpeg : {false, true}) {
    INFO((jpeg ? "JPEG" : "PNG"));
    RgbImage image;
    ImageError error;
    CHECK(decodes(encoded(8, 8, jpeg), limits, &image, &error));
    CHECK((image.width == 8 && image.height == 8));
    CHECK(decodes(encoded(8192, 8, jpeg), limits, &image, &error));
    CHECK((image.width == 8192 && image.height == 8));
    CHECK(decodes(encoded(8, 8192, jpeg), limits, &image, &error));
    CHECK(!decodes(encoded(7, 8, jpeg), limits, &image, &error));
    CHECK(std::string(error.text) == "image size 7x8 outside [8, 8192] per side");
    CHECK(!image.pixels);
    CHECK(!decodes(encoded(8, 8193, jpeg), limits, &image, &error));
    CHECK(std::string(error.text) == "image size 8x8193 outside [8, 8192] per side");
  }
  ImageLimits fewer = limits;  // the pixel-count limit, apart from the sides
  fewer.max_pixels = 8 * 64;
  RgbImage small;
  ImageError why;
  CHECK(decodes(encoded(8, 64, false), fewer, &small, &why));
  CHECK(!decodes(encoded(8, 65, false), fewer, &small, &why));
  CHECK(std::string(why.text) == "image size 8x65 is over the limit of 512 pixels");
  ImageLimits wider = limits;  // stb itself stops at 8192 (STBI_MAX_DIMENSIONS)
  wider.max_side = 100000;
  RgbImage image;
  ImageError error;
  CHECK(!decodes(encoded(8193, 8, false), wider, &image, &error));
  CHECK(std::string(error.text) == "image size 8193x8 outside [8, 8192] per side");
}

TEST_CASE("an image whose decoder needs more than the budget is refused, and says so") {
  const std::vector<uint8_t> png = encoded(256, 256, false), jpeg = encoded(256, 256, true);
  ImageLimits limits;
  RgbImage image;
  ImageError error;
  REQUIRE(decodes(png, limits, &image, &error));
  CHECK(image.peak_bytes >= size_t(256) * 256 * 3);  // at least the output
  CHECK(image.peak_bytes <= image.budget_bytes);
  limits.max_decode_bytes = image.peak_bytes - 1;
  CHECK(!decodes(png, limits, &image, &error));
  CHECK(std::string(error.text).find("PNG: decoding 256x256 needs more than its memory budget") == 0);
  limits = ImageLimits{};
  REQUIRE(decodes(jpeg, limits, &image, &error));
  limits.max_decode_bytes = image.peak_bytes / 2;
  CHECK(!decodes(jpeg, limits, &image, &error));
  CHECK(std::string(error.text).find("JPEG: decoding 256x256 needs more than its memory budget") == 0);
}

TEST_CASE("files over the byte cap are refused before they are decoded") {
  const std::string path = std::string(TINYQ_IMAGE_SEEDS) + "/png_rgb8.png";
  const size_t size = file_bytes(path).size();
  std::vector<uint8_t> bytes;
  ImageError error;
  CHECK(read_file_capped(path.c_str(), size, &bytes, &error));
  CHECK(bytes.size() == size);
  CHECK(!read_file_capped(path.c_str(), size - 1, &bytes, &error));
  CHECK(std::string(error.text).find("over the") != std::string::npos);
  ImageLimits limits;
  limits.max_file_bytes = size - 1;
  RgbImage image;
  CHECK(!load_image(path.c_str(), limits, &image, &error));
  CHECK(!read_file_capped("/nonexistent/x.png", 100, &bytes, &error));
  CHECK(std::string(error.text) == "cannot open: No such file or directory");
}

TEST_CASE("every committed seed decodes within its budget, every hostile one is refused with a reason") {
  int good = 0, bad = 0;
  for (const std::string& name : seed_names()) {
    INFO(name);
    const std::vector<uint8_t> bytes = file_bytes(std::string(TINYQ_IMAGE_SEEDS) + "/" + name);
    RgbImage image;
    ImageError error;
    const bool ok = decode_image(bytes.data(), bytes.size(), ImageLimits{}, &image, &error);
    const bool webp = name.find("webp") != std::string::npos;
    if (name.rfind("bad_", 0) == 0 || (webp && !webp_supported())) {
      CHECK(!ok);
      CHECK(error.text[0] != '\0');
      CHECK(!image.pixels);
      ++bad;
    } else {
      INFO(error.text);
      CHECK(ok);
      CHECK(image.peak_bytes <= image.budget_bytes);
      CHECK(image.width >= 8);
      ++good;
    }
  }
  CHECK(good >= 25);
  CHECK(bad >= 14);
}

TEST_CASE("the same picture decodes to the same pixels from lossless PNG, BMP and WebP") {
  const std::string dir = TINYQ_IMAGE_SEEDS;
  auto decode = [&](const char* name) {
    const std::vector<uint8_t> bytes = file_bytes(dir + "/" + name);
    RgbImage image;
    ImageError error;
    INFO(name << ": " << error.text);
    REQUIRE(decode_image(bytes.data(), bytes.size(), ImageLimits{}, &image, &error));
    REQUIRE((image.width == 24 && image.height == 16));
    return std::vector<uint8_t>(image.pixels.get(), image.pixels.get() + 24 * 16 * 3);
  };
  const std::vector<uint8_t> png = decode("png_rgb8.png");
  CHECK(decode("bmp_rgb24.bmp") == png);
  CHECK(decode("bmp_32bit_bitfields_v5.bmp") == png);
  if (webp_supported()) CHECK(decode("webp_lossless.webp") == png);
  // The picture's disc (red 180) and background (red 60) are both there: not a blank decode.
  int disc = 0, background = 0;
  for (size_t i = 0; i < png.size(); i += 3) {
    disc += png[i] == 180;
    background += png[i] == 60;
  }
  CHECK(disc > 10);
  CHECK(background > 10);
}

TEST_CASE("PNG pixels indexing past the palette decode black, not stb's stack") {
  const std::vector<uint8_t> bytes = file_bytes(std::string(TINYQ_IMAGE_SEEDS) + "/png_palette_index_past_plte.png");
  RgbImage image;
  ImageError error;
  REQUIRE(decode_image(bytes.data(), bytes.size(), ImageLimits{}, &image, &error));
  REQUIRE(image.width == 24);
  const uint8_t* px = image.pixels.get() + (2 * 24 + 3) * 3;  // (x 3, y 2) uses colour 200
  CHECK((px[0] == 0 && px[1] == 0 && px[2] == 0));
  // the other pixels use the palette's colours 0..3: (0,0,0) (90,30,200) (170,220,10) (255,255,255)
  int coloured = 0;
  for (int i = 0; i < 24 * 16; ++i) {
    const uint8_t* p = image.pixels.get() + 3 * i;
    coloured += (p[0] == 170 && p[1] == 220 && p[2] == 10) || (p[0] == 255 && p[1] == 255 && p[2] == 255);
  }
  CHECK(coloured > 0);
}

TEST_CASE("the WebP test picture decodes to its size") {
  RgbImage image;
  ImageError error;
  if (!webp_supported()) {
    CHECK(!load_image(TINYQ_TINY_WEBP, ImageLimits{}, &image, &error));
    return;
  }
  REQUIRE(load_image(TINYQ_TINY_WEBP, ImageLimits{}, &image, &error));
  CHECK(image.format == ImageFormat::webp);
  CHECK((image.width == 32 && image.height == 24));
}

TEST_CASE("stb's allocator hands out zeros, even where a freed block held pixels") {
  // A deflate distance code of 30 or 31 makes stb 2.27 copy output bytes it never wrote
  // (found by the MSan fuzzer with zero-filling turned off): they must read as zeros.
  for (size_t n : {size_t(64), size_t(4096), size_t(100000)}) {
    INFO(n);
    auto* first = static_cast<uint8_t*>(stb::allocate(n));
    REQUIRE(first != nullptr);
    std::memset(first, 0xAB, n);
    stb::free_pixels(first);
    auto* second = static_cast<uint8_t*>(stb::allocate(n));
    REQUIRE(second != nullptr);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; ++i) nonzero += second[i] != 0;
    CHECK(nonzero == 0);
    stb::free_pixels(second);
  }
}

TEST_CASE("the budget refuses what would go over it and credits what is freed") {
  stb::Budget budget;
  budget.limit = 1000;
  stb::ScopedBudget scope(&budget);
  void* a = stb::allocate(600);
  REQUIRE(a != nullptr);
  CHECK(budget.used == 600);
  CHECK(stb::allocate(401) == nullptr);
  CHECK(budget.refused);
  void* b = stb::allocate(400);
  REQUIRE(b != nullptr);
  CHECK(budget.peak == 1000);
  stb::free_pixels(a);
  stb::free_pixels(b);
  CHECK(budget.used == 0);
  CHECK(budget.peak == 1000);
}
