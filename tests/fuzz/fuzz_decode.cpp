// Fuzz target: the image path end to end with tiny size caps. The bytes are
// an image file; the target does what the CLI does with one input: refuse a
// header declaring more than kMaxPixels before decoding, decode, upsample x2
// by bilinear (replicate border; the fused interleaved path and the planar
// op path), encode PNG, and decode the result again. Refusals must be
// InputError / tconv::Error; a decoded image must come back at twice its size.
#include <span>

#include "cli/exit_codes.hpp"
#include "fuzz_target.hpp"
#include "image/image.hpp"
#include "image/image_io.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/error.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/resample.hpp"

namespace {

constexpr std::int64_t kMaxPixels = 1 << 16;

void upsample_and_check(const tconv::app::RawImage& raw) {
  using namespace tconv;
  // Fused interleaved path, 8-bit only here (the other types share its code).
  if (raw.type == tconv::app::SampleType::kU8 && raw.channels != 4) {
    tconv::app::RawImage out{raw.height * 2, raw.width * 2, raw.channels, raw.type, {}};
    out.bytes.resize(static_cast<std::size_t>(out.height) * out.width * out.channels);
    upsample_interleaved(Interpolation::kBilinear, {2, 2}, Border::kReplicate,
                         InterleavedView<const std::uint8_t>{raw.bytes.data(), raw.height,
                                                             raw.width, raw.channels,
                                                             std::ptrdiff_t{raw.width} * raw.channels},
                         InterleavedView<std::uint8_t>{out.bytes.data(), out.height, out.width,
                                                       out.channels,
                                                       std::ptrdiff_t{out.width} * out.channels},
                         1);
  }
  // Planar op path, then encode and decode the result.
  const tconv::app::Image image = tconv::app::to_planar(raw);
  Layer layer = make_upsampler(Interpolation::kBilinear, {2, 2}, image.pixels.shape().c);
  const auto op = ConvTranspose2d::create(layer.params, std::move(layer.weights));
  tconv::app::Image result{run_with_border(op, image.pixels.view(), Border::kReplicate),
                           image.type};
  const auto png = tconv::app::encode_image(result, tconv::app::ImageFormat::kPng, {});
  const auto again = tconv::app::decode_raw(png, "re-decoded output");
  if (again.height != raw.height * 2 || again.width != raw.width * 2)
    tconv::fuzz::fail("the encoded output does not decode to twice the input size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const unsigned char> bytes(data, size);
  const auto dims = tconv::app::peek_dimensions(bytes);
  // The caps the CLI applies, scaled down: unknown or large sizes are refused.
  if (!dims || std::int64_t{dims->h} * dims->w > kMaxPixels) return 0;
  tconv::app::RawImage raw;
  try {
    raw = tconv::app::decode_raw(bytes, "fuzz input");
  } catch (const tconv::app::InputError&) {
    return 0;
  } catch (const tconv::Error&) {
    return 0;
  } catch (...) {
    tconv::fuzz::fail("decode_raw threw something other than InputError");
  }
  // The cap was checked on the header's word: a decoder that produces more
  // pixels than the header declared would bypass it.
  if (std::int64_t{raw.height} * raw.width > kMaxPixels)
    tconv::fuzz::fail("decoded image is larger than its header declared");
  try {
    upsample_and_check(raw);
  } catch (const tconv::app::InputError&) {
    return 0;  // e.g. non-finite float samples refused by the encoder
  } catch (...) {
    tconv::fuzz::fail("a decoded image failed to upsample and encode");
  }
  return 0;
}
