// libjpeg-turbo, libpng and libtiff called directly (see image_codecs.hpp
// for why). libjpeg and libpng report errors through callbacks that must not
// return, so each decode sets a jump point with setjmp and the callbacks
// longjmp back to it. Everything with a destructor is constructed before
// setjmp, so the jump never skips one, and the C++ exception is thrown only
// after the jump, outside the libraries' C frames. libtiff returns error codes
// and takes per-handle message handlers (TIFFOpenOptions), so its decodes
// run in parallel without shared state.
#include "image/image_codecs.hpp"

#include <jpeglib.h>
#include <png.h>
#include <spdlog/spdlog.h>
#include <tiffio.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <opencv2/core/utils/logger.hpp>
#include <thread>
#include <vector>

#include "cli/exit_codes.hpp"

namespace tconv::app {

namespace {

// libjpeg's messages ("Corrupt JPEG data: ...") in the tool's lower case.
std::string lower_case(const char* text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ---------------------------------------------------------------- JPEG

// libjpeg hands the callbacks &pub, so pub must be the first member.
struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  const std::string* what = nullptr;
  bool accept_damaged = false;
  int warnings = 0;
  char first_warning[JMSG_LENGTH_MAX] = {};
  char failure[JMSG_LENGTH_MAX] = {};
};

struct JpegProgress {
  jpeg_progress_mgr pub;
  JpegErrorManager* errors = nullptr;
  int max_scans = 0;
};

JpegErrorManager& errors_of(j_common_ptr cinfo) {
  return *reinterpret_cast<JpegErrorManager*>(cinfo->err);
}

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  JpegErrorManager& errors = errors_of(cinfo);
  errors.pub.format_message(cinfo, errors.failure);
  std::longjmp(errors.jump, 1);
}

void jpeg_output(j_common_ptr cinfo) {
  char text[JMSG_LENGTH_MAX];
  cinfo->err->format_message(cinfo, text);
  spdlog::debug("{}: libjpeg: {}", *errors_of(cinfo).what, text);
}

// msg_level -1 is a warning: libjpeg met damaged data and carries on with
// made-up samples (gray rows for missing data). 0 and above are traces.
void jpeg_emit(j_common_ptr cinfo, int msg_level) {
  JpegErrorManager& errors = errors_of(cinfo);
  if (msg_level >= 0) {
    if (errors.pub.trace_level >= msg_level) jpeg_output(cinfo);
    return;
  }
  if (errors.warnings++ == 0) {
    errors.pub.format_message(cinfo, errors.first_warning);
    jpeg_output(cinfo);
  }
  if (!errors.accept_damaged) {
    std::memcpy(errors.failure, errors.first_warning, sizeof errors.failure);
    std::longjmp(errors.jump, 1);
  }
}

// Called between passes and scans: each progressive scan is a pass over the
// whole coefficient buffer, so the scan count bounds the decoding time.
void jpeg_progress(j_common_ptr cinfo) {
  auto* progress = reinterpret_cast<JpegProgress*>(cinfo->progress);
  const auto* decompress = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (decompress->input_scan_number > progress->max_scans) {
    std::snprintf(progress->errors->failure, sizeof progress->errors->failure,
                  "more than %d scans (limit against slow progressive files)", progress->max_scans);
    std::longjmp(progress->errors->jump, 1);
  }
}

// OpenCV's icvCvt_CMYK2BGR_8u_C4C3R: libjpeg's CMYK from Adobe files is
// inverted, and each colour channel becomes k - (255 - x) * k / 256.
void cmyk_to_bgr(const unsigned char* cmyk, unsigned char* bgr, int width) {
  for (int x = 0; x < width; ++x, cmyk += 4, bgr += 3) {
    const int k = cmyk[3];
    bgr[2] = static_cast<unsigned char>(k - ((255 - cmyk[0]) * k >> 8));
    bgr[1] = static_cast<unsigned char>(k - ((255 - cmyk[1]) * k >> 8));
    bgr[0] = static_cast<unsigned char>(k - ((255 - cmyk[2]) * k >> 8));
  }
}

// ---------------------------------------------------------------- PNG

struct PngState {
  std::span<const unsigned char> bytes;
  std::size_t at = 0;
  const std::string* what = nullptr;
  char failure[256] = {};
};

[[noreturn]] void png_fail(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(state->failure, sizeof state->failure, "%s", message);
  png_longjmp(png, 1);
}

void png_warn(png_structp png, png_const_charp message) {
  const auto* state = static_cast<const PngState*>(png_get_error_ptr(png));
  spdlog::debug("{}: libpng: {}", *state->what, message);
}

void png_read(png_structp png, png_bytep out, png_size_t length) {
  auto* state = static_cast<PngState*>(png_get_io_ptr(png));
  if (length > state->bytes.size() - state->at) png_error(png, "truncated file");
  std::memcpy(out, state->bytes.data() + state->at, length);
  state->at += length;
}

// ---------------------------------------------------------- PNG encoder

constexpr std::size_t kPngBandBytes = std::size_t{1} << 20;  // filtered bytes per band, about
constexpr std::size_t kIdatBytes = std::size_t{1} << 20;     // largest IDAT chunk data

// One PNG row from the caller's samples: B, G, R[, A] to R, G, B[, A] and
// 16-bit samples to big-endian, as the PNG specification orders them.
void to_png_order(const unsigned char* src, unsigned char* dst, int width, int channels,
                  bool sixteen_bit) {
  const std::size_t sample = sixteen_bit ? 2 : 1;
  const std::size_t pixel = sample * static_cast<std::size_t>(channels);
  const std::size_t n = pixel * static_cast<std::size_t>(width);
  if (channels >= 3 && !sixteen_bit) {
    for (std::size_t i = 0; i < n; i += pixel) {
      dst[i] = src[i + 2];
      dst[i + 1] = src[i + 1];
      dst[i + 2] = src[i];
      if (channels == 4) dst[i + 3] = src[i + 3];
    }
    return;
  }
  if (!sixteen_bit) {
    std::memcpy(dst, src, n);
    return;
  }
  // 16-bit: sample s of a pixel goes to slot s, or 2 - s for B and R.
  for (std::size_t i = 0; i < n; i += pixel)
    for (std::size_t s = 0; s < static_cast<std::size_t>(channels); ++s) {
      const std::size_t to = channels >= 3 && s < 3 ? 2 - s : s;
      std::uint16_t v;
      std::memcpy(&v, src + i + 2 * s, 2);
      dst[i + 2 * to] = static_cast<unsigned char>(v >> 8);
      dst[i + 2 * to + 1] = static_cast<unsigned char>(v & 0xFF);
    }
}

// The Paeth filter (PNG specification 9.4) on bytes, `bpp` bytes per pixel:
// out[i] = row[i] - predictor(a = row[i - bpp], b = prior[i], c = prior[i - bpp]),
// with a and c zero in the first pixel. The predictor is the neighbour
// closest to p = a + b - c; |p - a| = |b - c|, |p - b| = |a - c| and
// |p - c| = |a + b - 2c|, written without branches so the loop vectorises.
[[gnu::always_inline]] inline void paeth_row(const unsigned char* row, const unsigned char* prior,
                                             unsigned char* out, std::size_t n, std::size_t bpp) {
  for (std::size_t i = 0; i < bpp && i < n; ++i) out[i] = static_cast<unsigned char>(row[i] - prior[i]);
  for (std::size_t i = bpp; i < n; ++i) {
    const int a = row[i - bpp];
    const int b = prior[i];
    const int c = prior[i - bpp];
    const int pa = std::abs(b - c);
    const int pb = std::abs(a - c);
    const int pc = std::abs(a + b - 2 * c);
    const int predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
    out[i] = static_cast<unsigned char>(row[i] - predictor);
  }
}

// The same loop compiled for AVX-512BW and AVX2 through GCC/Clang target
// attributes, picked once from the CPU: one loop is the app's only ISA
// code, so per-ISA files would be more build than code, and target_clones
// (an ifunc) is not used because an ifunc resolver runs before
// ThreadSanitizer's runtime starts and crashes the TSan build.
[[gnu::target("avx512f,avx512bw,avx512vl,avx2")]] void paeth_avx512(const unsigned char* row,
                                                                  const unsigned char* prior,
                                                                  unsigned char* out, std::size_t n,
                                                                  std::size_t bpp) {
  paeth_row(row, prior, out, n, bpp);
}
[[gnu::target("avx2")]] void paeth_avx2(const unsigned char* row, const unsigned char* prior,
                                        unsigned char* out, std::size_t n, std::size_t bpp) {
  paeth_row(row, prior, out, n, bpp);
}
void paeth_baseline(const unsigned char* row, const unsigned char* prior, unsigned char* out,
                    std::size_t n, std::size_t bpp) {
  paeth_row(row, prior, out, n, bpp);
}

void paeth_filter(const unsigned char* row, const unsigned char* prior, unsigned char* out,
                  std::size_t n, std::size_t bpp) {
  using Filter = void (*)(const unsigned char*, const unsigned char*, unsigned char*, std::size_t,
                          std::size_t);
  static const Filter filter = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return &paeth_avx512;
    if (__builtin_cpu_supports("avx2")) return &paeth_avx2;
    return &paeth_baseline;
  }();
  filter(row, prior, out, n, bpp);
}

// One band of rows, filtered and deflated as a raw deflate stream that ends
// with a sync flush (byte-aligned, not final) or, for the last band, the
// final block; with the Adler-32 and length of its filtered bytes.
struct PngBand {
  std::vector<unsigned char> deflated;
  uLong adler = 1;
  std::size_t filtered_bytes = 0;
};

struct Deflater {
  z_stream z{};
  bool ready = false;
  ~Deflater() {
    if (ready) deflateEnd(&z);
  }
};

// Filters and deflates rows [y0, y1) of `pixels` into `band`. Returns an
// empty string or the reason it failed (zlib's, or out of memory).
std::string deflate_band(const PngPixels& pixels, int level, int y0, int y1, bool last,
                         PngBand& band) {
  const std::size_t sample = pixels.sixteen_bit ? 2 : 1;
  const std::size_t bpp = sample * static_cast<std::size_t>(pixels.channels);
  const std::size_t n = bpp * static_cast<std::size_t>(pixels.width);
  std::vector<unsigned char> rows(3 * n + 1);
  unsigned char* prior = rows.data();    // the previous row in PNG order (zeros above row 0)
  unsigned char* current = prior + n;    // this row in PNG order
  unsigned char* filtered = current + n;  // filter type byte + filtered row
  const auto source = [&](int y) { return pixels.samples + pixels.row_bytes * y; };
  if (y0 > 0) to_png_order(source(y0 - 1), prior, pixels.width, pixels.channels, pixels.sixteen_bit);

  Deflater d;
  // Raw deflate (no zlib header or trailer): the bands are joined into one
  // zlib stream by encode_png().
  if (deflateInit2(&d.z, level, Z_DEFLATED, -15, 8, level == 0 ? Z_DEFAULT_STRATEGY : Z_RLE) != Z_OK)
    return "zlib could not start (out of memory)";
  d.ready = true;
  band.deflated.resize(std::max<std::size_t>(4096, (n + 1) * static_cast<std::size_t>(y1 - y0) / 8));
  d.z.next_out = band.deflated.data();
  d.z.avail_out = static_cast<uInt>(band.deflated.size());
  band.adler = adler32(0, nullptr, 0);
  filtered[0] = 4;  // Paeth
  for (int y = y0; y < y1; ++y) {
    to_png_order(source(y), current, pixels.width, pixels.channels, pixels.sixteen_bit);
    paeth_filter(current, prior, filtered + 1, n, bpp);
    band.adler = adler32(band.adler, filtered, static_cast<uInt>(n + 1));
    band.filtered_bytes += n + 1;
    const bool end = y + 1 == y1;
    const int flush = !end ? Z_NO_FLUSH : last ? Z_FINISH : Z_SYNC_FLUSH;
    d.z.next_in = filtered;
    d.z.avail_in = static_cast<uInt>(n + 1);
    for (;;) {
      if (d.z.avail_out == 0) {
        const std::size_t used = band.deflated.size();
        band.deflated.resize(used + used / 2);
        d.z.next_out = band.deflated.data() + used;
        d.z.avail_out = static_cast<uInt>(std::min<std::size_t>(used / 2, 1u << 30));
      }
      const int rc = deflate(&d.z, flush);
      if (rc == Z_STREAM_ERROR) return "zlib failed";
      // Without Z_FINISH, done once all input is in and zlib left room
      // (a full output buffer may hold back flushed bytes).
      if (flush == Z_FINISH ? rc == Z_STREAM_END : d.z.avail_in == 0 && d.z.avail_out > 0) break;
    }
    std::swap(prior, current);
  }
  band.deflated.resize(d.z.total_out);
  band.deflated.shrink_to_fit();
  return {};
}

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

// Appends one chunk: u32 length, type, data, CRC-32 over type and data.
void put_chunk(std::vector<unsigned char>& out, const char* type, std::span<const unsigned char> data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, static_cast<std::uint32_t>(
                   crc32_z(crc32(0, nullptr, 0), out.data() + type_at, 4 + data.size())));
}

// ---------------------------------------------------------------- TIFF

struct TiffSource {
  std::span<const unsigned char> bytes;
  toff_t at = 0;
  const std::string* what = nullptr;
  std::string failure;
};

tmsize_t tiff_read(thandle_t handle, void* out, tmsize_t size) {
  auto* source = static_cast<TiffSource*>(handle);
  if (size < 0 || source->at >= source->bytes.size()) return 0;
  const auto n = std::min<std::size_t>(static_cast<std::size_t>(size), source->bytes.size() - source->at);
  std::memcpy(out, source->bytes.data() + source->at, n);
  source->at += n;
  return static_cast<tmsize_t>(n);
}
tmsize_t tiff_write(thandle_t, void*, tmsize_t) { return 0; }
toff_t tiff_seek(thandle_t handle, toff_t offset, int whence) {
  auto* source = static_cast<TiffSource*>(handle);
  const toff_t base = whence == SEEK_CUR ? source->at : whence == SEEK_END ? source->bytes.size() : 0;
  source->at = base + offset;
  return source->at;
}
int tiff_close(thandle_t) { return 0; }
toff_t tiff_size(thandle_t handle) { return static_cast<TiffSource*>(handle)->bytes.size(); }
int tiff_map(thandle_t, void**, toff_t*) { return 0; }
void tiff_unmap(thandle_t, void*, toff_t) {}

std::string tiff_format(const char* module, const char* fmt, va_list ap) {
  char text[512];
  std::vsnprintf(text, sizeof text, fmt, ap);
  return module ? std::string(module) + ": " + text : std::string(text);
}

// Returning 1 tells libtiff the message was handled (no global handler runs).
int tiff_error(TIFF*, void* user_data, const char* module, const char* fmt, va_list ap) {
  auto* source = static_cast<TiffSource*>(user_data);
  const std::string text = tiff_format(module, fmt, ap);
  if (source->failure.empty()) source->failure = text;
  spdlog::debug("{}: libtiff: {}", *source->what, text);
  return 1;
}
int tiff_warning(TIFF*, void* user_data, const char* module, const char* fmt, va_list ap) {
  const auto* source = static_cast<const TiffSource*>(user_data);
  spdlog::debug("{}: libtiff: {}", *source->what, tiff_format(module, fmt, ap));
  return 1;
}

struct TiffCloser {
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

TiffHandle open_tiff(TiffSource& source) {
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options, &tiff_error, &source);
  TIFFOpenOptionsSetWarningHandlerExtR(options, &tiff_warning, &source);
  // "m": never memory-map (there is no file, the bytes are already in memory).
  TiffHandle tif(TIFFClientOpenExt(source.what->c_str(), "rm", &source, &tiff_read, &tiff_write,
                                   &tiff_seek, &tiff_close, &tiff_size, &tiff_map, &tiff_unmap,
                                   options));
  TIFFOpenOptionsFree(options);
  if (!tif)
    throw InputError(*source.what + ": cannot read the tiff: " +
                     (source.failure.empty() ? std::string("libtiff refused it") : source.failure));
  return tif;
}

[[noreturn]] void tiff_failed(const TiffSource& source, const char* doing) {
  throw InputError(*source.what + ": cannot decode the tiff (" + doing + ")" +
                   (source.failure.empty() ? std::string() : ": " + source.failure));
}

// Copies `count` gray+alpha pixels' worth of samples from a libtiff buffer
// into the 2-channel row `dst`: contiguous buffers hold (gray, alpha) pairs,
// separate planes one sample per pixel, written to channel `plane`.
void copy_samples(const unsigned char* src, unsigned char* dst, std::size_t count,
                  std::size_t sample_bytes, bool contiguous, int plane) {
  if (contiguous) {
    std::memcpy(dst, src, count * 2 * sample_bytes);
    return;
  }
  for (std::size_t i = 0; i < count; ++i)
    std::memcpy(dst + (2 * i + static_cast<std::size_t>(plane)) * sample_bytes, src + i * sample_bytes,
                sample_bytes);
}

}  // namespace

cv::Mat decode_jpeg(std::span<const unsigned char> bytes, const std::string& what,
                    const JpegDecodeOptions& options, JpegWarnings& warnings) {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager errors{};
  JpegProgress progress{};
  cv::Mat out;
  std::vector<unsigned char> row;
  cinfo.err = jpeg_std_error(&errors.pub);
  errors.pub.error_exit = &jpeg_fail;
  errors.pub.emit_message = &jpeg_emit;
  errors.pub.output_message = &jpeg_output;
  errors.what = &what;
  errors.accept_damaged = options.accept_damaged;
  progress.pub.progress_monitor = &jpeg_progress;
  progress.errors = &errors;
  progress.max_scans = options.max_scans;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    throw InputError(what + ": " + lower_case(errors.failure));
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress.pub;
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  const bool cmyk = cinfo.num_components == 4;
  const bool colour = cinfo.num_components > 1;
  cinfo.out_color_space = cmyk ? JCS_CMYK : colour ? JCS_EXT_BGR : JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  const auto width = static_cast<int>(cinfo.output_width);
  const auto height = static_cast<int>(cinfo.output_height);
  row.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(cinfo.output_components));
  for (int y = 0; y < height; ++y) {
    JSAMPROW rows[] = {row.data()};
    jpeg_read_scanlines(&cinfo, rows, 1);
    // Allocated after the first row decoded: a forged frame size with no
    // data behind it fails on that row, before a header-sized allocation.
    if (y == 0) out.create(height, width, colour ? CV_8UC3 : CV_8UC1);
    if (cmyk) cmyk_to_bgr(row.data(), out.ptr(y), width);
    else std::memcpy(out.ptr(y), row.data(), row.size());
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  warnings.count = errors.warnings;
  warnings.first = errors.warnings > 0 ? lower_case(errors.first_warning) : std::string();
  return out;
}

cv::Mat decode_png(std::span<const unsigned char> bytes, const std::string& what) {
  PngState state{bytes, 0, &what, {}};
  cv::Mat out;
  std::vector<png_bytep> rows;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, &png_fail, &png_warn);
  if (png == nullptr) throw InputError(what + ": cannot decode: libpng could not start");
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw InputError(what + ": cannot decode the png: " + std::string(state.failure));
  }
  if (info == nullptr) png_error(png, "out of memory");
  png_set_read_fn(png, &state, &png_read);
  png_read_info(png, info);
  const int depth = png_get_bit_depth(png, info);
  const int color_type = png_get_color_type(png, info);
  // Palettes to B, G, R, tRNS (palette, RGB or a gray key) to alpha, gray
  // below 8 bits scaled to 8 (x 255 / (2^depth - 1)), as OpenCV does.
  png_set_expand(png);
  if (depth == 16) png_set_swap(png);  // PNG is big-endian; samples are native
  if (color_type & PNG_COLOR_MASK_COLOR) png_set_bgr(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  const int cv_depth = png_get_bit_depth(png, info) == 16 ? CV_16U : CV_8U;
  out.create(static_cast<int>(png_get_image_height(png, info)),
             static_cast<int>(png_get_image_width(png, info)), CV_MAKETYPE(cv_depth, channels));
  rows.resize(static_cast<std::size_t>(out.rows));
  for (int y = 0; y < out.rows; ++y) rows[static_cast<std::size_t>(y)] = out.ptr(y);
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return out;
}

std::vector<unsigned char> encode_png(const PngPixels& pixels, const PngEncodeOptions& options) {
  const std::size_t sample = pixels.sixteen_bit ? 2 : 1;
  if (pixels.height < 1 || pixels.width < 1 || pixels.channels < 1 || pixels.channels > 4 ||
      pixels.samples == nullptr ||
      pixels.row_bytes < static_cast<std::ptrdiff_t>(sample * static_cast<std::size_t>(pixels.channels) *
                                                     static_cast<std::size_t>(pixels.width)))
    throw InputError("encode png: " + std::to_string(pixels.width) + "x" + std::to_string(pixels.height) +
                     " with " + std::to_string(pixels.channels) +
                     " channels: need at least 1x1 and 1 to 4 channels");
  if (options.level < 0 || options.level > 9)
    throw InputError("encode png: level " + std::to_string(options.level) + ": must be 0 to 9");
  const std::size_t filtered_row =
      sample * static_cast<std::size_t>(pixels.channels) * static_cast<std::size_t>(pixels.width) + 1;
  // zlib counts input in uInt; a row is handed to it in one piece.
  if (filtered_row > (std::size_t{1} << 30))
    throw InputError("encode png: width " + std::to_string(pixels.width) +
                     ": rows over 1 GiB are not supported");
  const int band_rows =
      static_cast<int>(std::clamp<std::size_t>(kPngBandBytes / filtered_row, 1, INT32_MAX));
  const int bands = (pixels.height - 1) / band_rows + 1;
  std::vector<PngBand> done(static_cast<std::size_t>(bands));
  std::vector<std::string> failures(static_cast<std::size_t>(bands));
  std::atomic<int> next{0};
  const auto work = [&] {
    for (int b = next++; b < bands; b = next++) {
      try {
        failures[static_cast<std::size_t>(b)] =
            deflate_band(pixels, options.level, b * band_rows,
                         static_cast<int>(std::min<std::int64_t>(std::int64_t{b + 1} * band_rows, pixels.height)),
                         b + 1 == bands, done[static_cast<std::size_t>(b)]);
      } catch (const std::bad_alloc&) {
        failures[static_cast<std::size_t>(b)] = "out of memory";
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (int t = 1; t < std::min(options.threads, bands); ++t) helpers.emplace_back(work);
    work();
  }
  for (const std::string& failure : failures)
    if (!failure.empty()) throw InputError("encode png: " + failure);

  // The zlib stream: header (deflate, 32 KiB window, no dictionary), the
  // bands, the Adler-32 of all filtered bytes, big-endian.
  uLong adler = done.front().adler;
  std::size_t stream_bytes = 2 + 4;
  for (std::size_t b = 0; b < done.size(); ++b) {
    if (b > 0)
      adler = adler32_combine(adler, done[b].adler, static_cast<z_off_t>(done[b].filtered_bytes));
    stream_bytes += done[b].deflated.size();
  }
  std::vector<unsigned char> trailer;
  put_u32(trailer, static_cast<std::uint32_t>(adler));
  static constexpr unsigned char kZlibHeader[] = {0x78, 0x01};  // (0x78 * 256 + 0x01) % 31 == 0

  std::vector<unsigned char> out;
  const std::size_t chunks = (stream_bytes + kIdatBytes - 1) / kIdatBytes;
  out.reserve(8 + 25 + stream_bytes + 12 * chunks + 12);
  static constexpr unsigned char kSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  out.insert(out.end(), std::begin(kSignature), std::end(kSignature));
  std::vector<unsigned char> ihdr;
  put_u32(ihdr, static_cast<std::uint32_t>(pixels.width));
  put_u32(ihdr, static_cast<std::uint32_t>(pixels.height));
  static constexpr unsigned char kColourType[] = {0, 0, 4, 2, 6};  // by channel count
  ihdr.insert(ihdr.end(), {static_cast<unsigned char>(8 * sample), kColourType[pixels.channels],
                           0 /* deflate */, 0 /* adaptive filtering */, 0 /* no interlace */});
  put_chunk(out, "IHDR", ihdr);

  // IDAT chunks of kIdatBytes (the last shorter), cut across the pieces.
  std::vector<std::span<const unsigned char>> pieces{kZlibHeader};
  for (const PngBand& band : done) pieces.emplace_back(band.deflated);
  pieces.emplace_back(trailer);
  std::size_t chunk_left = 0;
  std::size_t crc_at = 0;
  std::size_t stream_left = stream_bytes;
  const auto close_chunk = [&] {
    put_u32(out, static_cast<std::uint32_t>(
                     crc32_z(crc32(0, nullptr, 0), out.data() + crc_at, out.size() - crc_at)));
  };
  for (std::span<const unsigned char> piece : pieces) {
    while (!piece.empty()) {
      if (chunk_left == 0) {
        chunk_left = std::min(kIdatBytes, stream_left);
        put_u32(out, static_cast<std::uint32_t>(chunk_left));
        crc_at = out.size();
        out.insert(out.end(), {'I', 'D', 'A', 'T'});
      }
      const std::size_t take = std::min(chunk_left, piece.size());
      out.insert(out.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(take));
      piece = piece.subspan(take);
      chunk_left -= take;
      stream_left -= take;
      if (chunk_left == 0) close_chunk();
    }
  }
  put_chunk(out, "IEND", {});
  return out;
}

TiffLayout read_tiff_layout(std::span<const unsigned char> bytes, const std::string& what) {
  TiffSource source{bytes, 0, &what, {}};
  const TiffHandle tif = open_tiff(source);
  std::uint16_t samples = 1;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLESPERPIXEL, &samples);
  const auto pages = TIFFNumberOfDirectories(tif.get());
  return {static_cast<int>(std::min<tdir_t>(pages, INT32_MAX)), samples};
}

cv::Mat decode_tiff_gray_alpha(std::span<const unsigned char> bytes, const std::string& what) {
  TiffSource source{bytes, 0, &what, {}};
  const TiffHandle tif = open_tiff(source);
  TIFF* t = tif.get();
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint16_t samples = 0;
  std::uint16_t bits = 0;
  std::uint16_t format = SAMPLEFORMAT_UINT;
  std::uint16_t photometric = PHOTOMETRIC_MINISBLACK;
  std::uint16_t planar = PLANARCONFIG_CONTIG;
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &height);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
  int type = -1;
  if (format == SAMPLEFORMAT_UINT && bits == 8) type = CV_8UC2;
  if (format == SAMPLEFORMAT_UINT && bits == 16) type = CV_16UC2;
  if (format == SAMPLEFORMAT_IEEEFP && bits == 32) type = CV_32FC2;
  if (samples != 2 || photometric != PHOTOMETRIC_MINISBLACK || type < 0)
    throw InputError(what + ": gray+alpha tiff with " + std::to_string(bits) + "-bit " +
                     (format == SAMPLEFORMAT_IEEEFP ? "float" : "integer") + " samples" +
                     (photometric != PHOTOMETRIC_MINISBLACK ? " (not min-is-black)" : "") +
                     " is not supported (8/16-bit integer or 32-bit float, min-is-black)");
  if (width < 1 || height < 1 || width > INT32_MAX || height > INT32_MAX) tiff_failed(source, "image size");
  cv::Mat out(static_cast<int>(height), static_cast<int>(width), type);
  const std::size_t sample_bytes = bits / 8;
  const bool contiguous = planar == PLANARCONFIG_CONTIG;
  const int planes = contiguous ? 1 : 2;
  if (TIFFIsTiled(t)) {
    std::uint32_t tile_w = 0;
    std::uint32_t tile_h = 0;
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &tile_w);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &tile_h);
    const tmsize_t tile_size = TIFFTileSize(t);
    if (tile_w == 0 || tile_h == 0 || tile_size <= 0) tiff_failed(source, "tile size");
    std::vector<unsigned char> tile(static_cast<std::size_t>(tile_size));
    // A tile row holds tile_w pixels (x 2 samples when contiguous); tiles at
    // the right and bottom edges are padded, so only the in-image part is copied.
    const std::size_t tile_row_bytes = tile_w * sample_bytes * (contiguous ? 2 : 1);
    if (tile_row_bytes * tile_h > tile.size()) tiff_failed(source, "tile size");
    for (int plane = 0; plane < planes; ++plane)
      for (std::uint32_t ty = 0; ty < height; ty += tile_h)
        for (std::uint32_t tx = 0; tx < width; tx += tile_w) {
          if (TIFFReadTile(t, tile.data(), tx, ty, 0, static_cast<std::uint16_t>(plane)) < 0)
            tiff_failed(source, "tile");
          const std::uint32_t rows = std::min(tile_h, height - ty);
          const std::uint32_t cols = std::min(tile_w, width - tx);
          for (std::uint32_t r = 0; r < rows; ++r)
            copy_samples(tile.data() + r * tile_row_bytes,
                         out.ptr(static_cast<int>(ty + r)) + std::size_t{tx} * 2 * sample_bytes, cols,
                         sample_bytes, contiguous, plane);
        }
  } else {
    const tmsize_t line_size = TIFFScanlineSize(t);
    if (line_size <= 0 ||
        static_cast<std::size_t>(line_size) < std::size_t{width} * sample_bytes * (contiguous ? 2 : 1))
      tiff_failed(source, "scanline size");
    std::vector<unsigned char> line(static_cast<std::size_t>(line_size));
    // Scanlines are read in order, plane by plane, as libtiff requires for
    // compressed strips.
    for (int plane = 0; plane < planes; ++plane)
      for (std::uint32_t y = 0; y < height; ++y) {
        if (TIFFReadScanline(t, line.data(), y, static_cast<std::uint16_t>(plane)) < 0)
          tiff_failed(source, "scanline");
        copy_samples(line.data(), out.ptr(static_cast<int>(y)), width, sample_bytes, contiguous, plane);
      }
  }
  return out;
}

void quiet_opencv_logging() {
  static const bool done = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return true;
  }();
  (void)done;
}

}  // namespace tconv::app
