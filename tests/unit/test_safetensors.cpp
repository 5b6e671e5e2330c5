// The safetensors reader and writer: values of every supported dtype, round
// trips, one crafted file per refusal rule (type and message), and a
// fuzz-style loop of truncations and bit flips that must end in a
// tconv::Error or a parsed file, never in anything else.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>

#include "tconv/core/error.hpp"
#include "tconv/io/safetensors.hpp"

namespace {

using Bytes = std::vector<unsigned char>;

// A file from a header text and raw data bytes (length field written as given).
Bytes make_file(const std::string& header, const Bytes& data = {},
                std::optional<std::uint64_t> length = std::nullopt) {
  const std::uint64_t n = length.value_or(header.size());
  // One allocation and plain copies (GCC 12 warns falsely on vector::insert here).
  Bytes out(8 + header.size() + data.size());
  std::memcpy(out.data(), &n, 8);
  std::copy(header.begin(), header.end(), out.begin() + 8);
  std::copy(data.begin(), data.end(), out.begin() + 8 + static_cast<std::ptrdiff_t>(header.size()));
  return out;
}

Bytes f32_bytes(std::initializer_list<float> values) {
  Bytes out(values.size() * 4);
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

tconv::SafetensorsFile parse(const Bytes& b) { return tconv::parse_safetensors(b, "t.safetensors"); }

void require_refused(const Bytes& file, const std::string& message) {
  INFO("expected: " << message);
  REQUIRE_THROWS_AS(parse(file), tconv::FormatError);
  REQUIRE_THROWS_WITH(parse(file), Catch::StartsWith("safetensors t.safetensors: ") &&
                                       Catch::Contains(message));
}

// A valid two-tensor header for `a` (2 floats) then `b` (1 float).
const std::string kTwo =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";

}  // namespace

TEST_CASE("safetensors: reads F32, F16, BF16 and F64 as float32", "[safetensors]") {
  Bytes data = f32_bytes({1.5f, -2.0f});
  for (const std::uint16_t h : {0x3c00, 0xc000, 0x0001, 0x7c00}) {  // F16 1, -2, 2^-24, inf
    data.push_back(static_cast<unsigned char>(h & 0xff));
    data.push_back(static_cast<unsigned char>(h >> 8));
  }
  for (const std::uint16_t h : {0x3f80, 0xc0a0}) {  // BF16 1, -5
    data.push_back(static_cast<unsigned char>(h & 0xff));
    data.push_back(static_cast<unsigned char>(h >> 8));
  }
  const double d = 0.1;
  const auto* dp = reinterpret_cast<const unsigned char*>(&d);
  data.insert(data.end(), dp, dp + 8);
  const std::string header =
      R"({"__metadata__":{"format":"pt","x":"\u00e9\ud83d\ude00"},)"
      R"("w32":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
      R"("w16":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]},)"
      R"("wbf":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},)"
      R"("w64":{"dtype":"F64","shape":[],"data_offsets":[20,28]},)"
      R"("empty":{"dtype":"F32","shape":[0,3],"data_offsets":[28,28]}}   )";
  const tconv::SafetensorsFile f = parse(make_file(header, data));
  REQUIRE(f.tensors.size() == 5);
  REQUIRE(f.metadata.at("format") == "pt");
  REQUIRE(f.metadata.at("x") == "\xc3\xa9\xf0\x9f\x98\x80");
  REQUIRE(f.find("w32")->values == std::vector<float>{1.5f, -2.0f});
  REQUIRE(f.find("w32")->shape == std::vector<std::int64_t>{1, 2});
  const auto& h = f.find("w16")->values;
  REQUIRE(h[0] == 1.0f);
  REQUIRE(h[1] == -2.0f);
  REQUIRE(h[2] == std::ldexp(1.0f, -24));
  REQUIRE(std::isinf(h[3]));
  REQUIRE(f.find("wbf")->values == std::vector<float>{1.0f, -5.0f});
  REQUIRE(f.find("w64")->values == std::vector<float>{0.1f});
  REQUIRE(f.find("w64")->shape.empty());
  REQUIRE(f.find("empty")->values.empty());
  REQUIRE(f.find("nope") == nullptr);
  // Tensors come in data order, not header order.
  REQUIRE(f.tensors[0].name == "w32");
}

TEST_CASE("safetensors: the writer round-trips and is deterministic", "[safetensors]") {
  std::vector<tconv::NamedTensor> t = {{"z.weight", {2, 1, 1, 2}, {1, 2, 3, 4}},
                                       {"a.bias", {2}, {-0.5f, 0.25f}},
                                       {"scalar", {}, {7}},
                                       {"empty", {0}, {}}};
  const std::map<std::string, std::string> meta = {{"k\"ey", "v\n1"}, {"b", "[1, {\"x\": 2}]"}};
  const Bytes bytes = tconv::encode_safetensors(t, meta);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  REQUIRE(n % 8 == 0);
  REQUIRE(bytes[8] == '{');
  const tconv::SafetensorsFile f = parse(bytes);
  REQUIRE(f.metadata == meta);
  REQUIRE(f.tensors.size() == 4);
  for (const auto& want : t) {
    const tconv::NamedTensor* got = f.find(want.name);
    REQUIRE(got != nullptr);
    REQUIRE(got->shape == want.shape);
    REQUIRE(got->values == want.values);
  }
  std::reverse(t.begin(), t.end());
  REQUIRE(tconv::encode_safetensors(t, meta) == bytes);
  REQUIRE(tconv::encode_safetensors(f) == bytes);
}

TEST_CASE("safetensors: the writer refuses bad tensors", "[safetensors]") {
  const std::map<std::string, std::string> none;
  using V = std::vector<tconv::NamedTensor>;
  REQUIRE_THROWS_AS(tconv::encode_safetensors(V{{"a", {2}, {1}}}, none), tconv::InvalidArgument);
  REQUIRE_THROWS_AS(tconv::encode_safetensors(V{{"a", {1}, {1}}, {"a", {1}, {2}}}, none),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS(tconv::encode_safetensors(V{{"__metadata__", {1}, {1}}}, none),
                    tconv::InvalidArgument);
  REQUIRE_THROWS_AS(tconv::encode_safetensors(V{{"", {1}, {1}}}, none), tconv::InvalidArgument);
  REQUIRE_THROWS_AS(tconv::encode_safetensors(V{{"a", {-1}, {}}}, none), tconv::InvalidArgument);
}

TEST_CASE("safetensors: one refusal per rule", "[safetensors]") {
  const Bytes d12(12, 0);
  SECTION("valid baseline") { REQUIRE(parse(make_file(kTwo, d12)).tensors.size() == 2); }
  SECTION("too short for the length field") {
    require_refused(Bytes{1, 2, 3}, "shorter than the 8-byte header length");
  }
  SECTION("header above 100 MB") {
    require_refused(make_file(kTwo, d12, 100'000'001), "exceeds the limit of 100000000 bytes");
  }
  SECTION("header longer than the file") {
    require_refused(make_file(kTwo, {}, kTwo.size() + 1), "exceeds the");
  }
  SECTION("header not UTF-8") {
    require_refused(make_file("{\"a\xff\":{}}"), "not valid UTF-8");
    require_refused(make_file("{\"\xc0\xaf\":{}}"), "not valid UTF-8");        // overlong '/'
    require_refused(make_file("{\"\xed\xa0\x80\":{}}"), "not valid UTF-8");    // surrogate
  }
  SECTION("header does not start with '{'") {
    require_refused(make_file(" {}"), "does not start with '{'");
    require_refused(make_file("[]"), "does not start with '{'");
  }
  SECTION("header not JSON") {
    require_refused(make_file("{\"a\":1,}"), "not valid JSON");
    require_refused(make_file("{} x"), "not valid JSON");
    require_refused(make_file("{\"a\":01}"), "leading zero");
    require_refused(make_file("{\"a\":\"\\ud800\"}"), "surrogate");
    require_refused(make_file("{\"a\":\"x\ty\"}"), "control character");
    require_refused(make_file("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}"),
                    "nesting deeper");
  }
  SECTION("duplicate names") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                              R"("a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                              d12),
                    "duplicate key \"a\"");
    require_refused(make_file(R"({"__metadata__":{"k":"1","k":"2"}})"), "duplicate key \"k\"");
  }
  SECTION("__metadata__ maps strings to strings") {
    require_refused(make_file(R"({"__metadata__":{"k":1}})"), "__metadata__ key 'k': value must be a string");
    require_refused(make_file(R"({"__metadata__":["k"]})"), "__metadata__ must be an object");
  }
  SECTION("entry keys") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1]}})"), "tensor 'a': entry needs");
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})",
                              Bytes(4)),
                    "tensor 'a': unknown key 'x'");
    require_refused(make_file(R"({"a":[1]})"), "tensor 'a': entry must be an object");
  }
  SECTION("known dtypes only") {
    require_refused(make_file(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", Bytes(4)),
                    "tensor 'a': unknown dtype 'F33'");
    require_refused(make_file(R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", Bytes(8)),
                    "tensor 'a': dtype I64 is not supported");
  }
  SECTION("shape of non-negative integers") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})"),
                    "tensor 'a': shape must be");
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", Bytes(4)),
                    "tensor 'a': shape must be");
  }
  SECTION("data_offsets are two non-negative integers") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", Bytes(4)),
                    "tensor 'a': data_offsets must be two");
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})"),
                    "tensor 'a': data_offsets must be two");
  }
  SECTION("data begins at 0") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", Bytes(8)),
                    "tensor 'a': data_offsets [4, 8] must begin at 0");
  }
  SECTION("contiguous: no gap") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                              d12),
                    "tensor 'b': data_offsets [8, 12] must begin at 4");
  }
  SECTION("no overlap") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                              Bytes(8)),
                    "tensor 'b': data_offsets [4, 8] must begin at 8");
  }
  SECTION("end before begin") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                              R"("c":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
                              Bytes(4)),
                    "tensor 'c': data_offsets [4, 0]: end is before begin");
  }
  SECTION("length equals dtype size x shape") {
    require_refused(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", Bytes(8)),
                    "tensor 'a': data_offsets [0, 8] hold 8 bytes but F32 [3] needs 12");
    require_refused(make_file(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}})", Bytes(8)),
                    "F16 [2] needs 4");
  }
  SECTION("shape product overflow") {
    require_refused(
        make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
        "tensor 'a': shape [4294967296, 4294967296] overflows");
    require_refused(
        make_file(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})"),
        "overflows");
  }
  SECTION("data end exactly at the end of the file") {
    require_refused(make_file(kTwo, Bytes(13)), "tensor 'b': tensor data end at byte 12 but the file holds 13");
    require_refused(make_file(kTwo, Bytes(11)), "the file holds 11 data bytes");
    require_refused(make_file("{}", Bytes(1)), "the file holds 1 data bytes");
  }
}

TEST_CASE("safetensors: truncations and bit flips never crash", "[safetensors][fuzz]") {
  std::vector<tconv::NamedTensor> t = {{"conv.weight", {2, 1, 3, 3}, std::vector<float>(18, 0.5f)},
                                       {"conv.bias", {2}, {1, 2}},
                                       {"prelu", {1}, {0.25f}}};
  const Bytes good = tconv::encode_safetensors(
      t, {{"tconv.format", "1"}, {"tconv.layers", R"([{"op": "conv2d", "weight": "conv.weight"}])"}});
  REQUIRE(parse(good).tensors.size() == 3);
  const std::uint32_t seed = GENERATE(1u, 2u, 3u);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  static constexpr char kSignificant[] = "{}[]\",:0123456789-.e\\u \x80\xff";
  int parsed = 0;
  int refused = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    Bytes b = good;
    switch (rng() % 4) {
      case 0:  // truncate
        b.resize(rng() % b.size());
        break;
      case 1:  // flip 1-4 bits anywhere
        for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) b[rng() % b.size()] ^= 1u << (rng() % 8);
        break;
      case 2:  // overwrite a header byte with a JSON-significant character
        b[8 + rng() % (b.size() - 8 - 21 * 4)] =
            static_cast<unsigned char>(kSignificant[rng() % (sizeof(kSignificant) - 1)]);
        break;
      default:  // corrupt the length field
        b[rng() % 8] = static_cast<unsigned char>(rng());
        break;
    }
    try {
      (void)parse(b);
      ++parsed;
    } catch (const tconv::Error& e) {
      REQUIRE(std::string(e.what()).rfind("safetensors t.safetensors: ", 0) == 0);
      ++refused;
    }
  }
  INFO("parsed " << parsed << " refused " << refused);
  REQUIRE(refused > 1000);
}
