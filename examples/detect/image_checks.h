// Structure checks that run before stb_image sees a file (docs/images.md): each walks the
// file's segments or chunks with every length checked against the bytes that are there, and
// refuses what stb 2.27 would mishandle. true = stb may decode it (and *width, *height are
// the size its header gives); false = the reason.
#pragma once
#include <cstddef>
#include <cstdint>

#include "image_io.h"

namespace tinyq_cli {

// Marker segments: lengths inside the file; one 8-bit baseline/extended/progressive frame
// (1, 3 or 4 components, sampling 1..4 in integer ratios, quantisation ids 0..3); Huffman
// tables with ids 0..3 and at most 256 codes; every scan names frame components whose
// quantisation table and the Huffman tables it decodes with were defined before it; every
// component is scanned, and in a progressive file its first DC pass comes first.
bool check_jpeg(const uint8_t* data, size_t size, int* width, int* height, ImageError* error);
// Chunks: lengths inside the file, IHDR first and sane (size, bit depth for the colour
// type, no compression/filter other than 0, interlace 0/1), at most one PLTE and before the
// first IDAT, an IDAT, an IEND. Tells where the palette of an indexed image is.
struct PngPalette {
  bool indexed = false;    // colour type 3
  size_t chunk_offset = 0;  // of the PLTE chunk (its length field); 0: none
  uint32_t entries = 0;
};
bool check_png(const uint8_t* data, size_t size, int* width, int* height, PngPalette* palette, ImageError* error);
// The same file with an indexed image's PLTE grown to 256 entries (the new ones black):
// stb keeps the palette in a 256-entry stack array and indexes it with each pixel,
// unchecked, so an index past the file's colours would copy uninitialised stack bytes
// into the picture (found by the MSan fuzzer). libpng shows such pixels black too.
void pad_png_palette(const uint8_t* data, size_t size, const PngPalette& palette, uint8_t* out);
constexpr size_t padded_png_growth(uint32_t entries) { return 3 * size_t(256 - entries); }
// Header: a size stb reads, planes 1, a bit depth and compression stb decodes, pixel data
// inside the file.
bool check_bmp(const uint8_t* data, size_t size, int* width, int* height, ImageError* error);
// After check_bmp and the size limits: palette images have every pixel's index inside the
// palette stb reads (the scan is width x height, so it runs on limited sizes only).
bool check_bmp_palette(const uint8_t* data, size_t size, ImageError* error);

}  // namespace tinyq_cli
