// image_peak FILE...: for each picture, what decode_image (the CLI's decode path, with the
// CLI's limits) allowed and used: format, size, budget, peak bytes held by the decoder and
// peak per pixel of the MCU-padded size. Produces the memory table in docs/images.md.
#include <cstdio>

#include "image_io.h"

int main(int argc, char** argv) {
  std::printf("%-40s %-5s %11s %12s %10s %9s\n", "file", "fmt", "size", "budget MiB", "peak MiB", "peak/px");
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    tinyq_cli::RgbImage image;
    tinyq_cli::ImageError error;
    if (!tinyq_cli::load_image(argv[i], tinyq_cli::ImageLimits{}, &image, &error)) {
      std::printf("%-40s %s\n", argv[i], error.text);
      ++failures;
      continue;
    }
    const double padded = double(image.width + 32) * double(image.height + 32);
    std::printf("%-40s %-5s %5dx%-5d %12.1f %10.1f %9.2f\n", argv[i], tinyq_cli::format_name(image.format), image.width,
                image.height, image.budget_bytes / 1048576.0, image.peak_bytes / 1048576.0, image.peak_bytes / padded);
  }
  return failures == 0 ? 0 : 1;
}
