// The seed examples, verbatim (d2l.ai, "Transposed Convolution").
#include <catch2/catch.hpp>
#include <vector>

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv_tester.hpp"

using tconv::ConvParams;
using tconv::Shape3;
using tconv::Tensor;

namespace {

tconv::Weights kernel_2x2(std::vector<float> k) { return {{1, 1, 2, 2}, std::move(k), {}}; }

ConvParams single_channel(int k, int stride, int pad) {
  ConvParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel = {k, k};
  p.stride = {stride, stride};
  p.padding(pad);
  return p;
}

std::vector<float> values(const Tensor& t) { return {t.span().begin(), t.span().end()}; }

// d2l's kernel2matrix: the 4x9 matrix W with conv2d(X, K) == W x for a 3x3 X.
std::vector<std::vector<float>> kernel2matrix(const std::vector<float>& k) {
  std::vector<float> row(5, 0.0f);
  row[0] = k[0];
  row[1] = k[1];
  row[3] = k[2];
  row[4] = k[3];
  std::vector<std::vector<float>> w(4, std::vector<float>(9, 0.0f));
  auto place = [&](int r, int offset) {
    for (int i = 0; i < 5; ++i) w[static_cast<std::size_t>(r)][static_cast<std::size_t>(i + offset)] = row[static_cast<std::size_t>(i)];
  };
  place(0, 0);
  place(1, 1);
  place(2, 3);
  place(3, 4);
  return w;
}

}  // namespace

TEST_CASE("seed: basic transposed convolution", "[golden][seed]") {
  const Tensor x(Shape3{1, 2, 2}, {0, 1, 2, 3});
  const Tensor y = tconv::conv_transpose2d(x.view(), single_channel(2, 1, 0), kernel_2x2({0, 1, 2, 3}));
  REQUIRE(y.shape() == Shape3{1, 3, 3});
  REQUIRE(values(y) == std::vector<float>{0, 0, 1, 0, 4, 6, 4, 12, 9});
}

TEST_CASE("seed: padding 1 crops the border", "[golden][seed]") {
  const Tensor x(Shape3{1, 2, 2}, {0, 1, 2, 3});
  const Tensor y = tconv::conv_transpose2d(x.view(), single_channel(2, 1, 1), kernel_2x2({0, 1, 2, 3}));
  REQUIRE(y.shape() == Shape3{1, 1, 1});
  REQUIRE(values(y) == std::vector<float>{4});
}

TEST_CASE("seed: stride 2", "[golden][seed]") {
  const Tensor x(Shape3{1, 2, 2}, {0, 1, 2, 3});
  const Tensor y = tconv::conv_transpose2d(x.view(), single_channel(2, 2, 0), kernel_2x2({0, 1, 2, 3}));
  REQUIRE(y.shape() == Shape3{1, 4, 4});
  REQUIRE(values(y) == std::vector<float>{0, 0, 0, 1,  //
                                          0, 0, 2, 3,  //
                                          0, 2, 0, 3,  //
                                          4, 6, 6, 9});
}

TEST_CASE("seed: conv2d then conv_transpose2d restores 16x16", "[golden][seed]") {
  ConvParams conv;
  conv.in_channels = 10;
  conv.out_channels = 20;
  conv.kernel = {5, 5};
  conv.stride = {3, 3};
  conv.padding(2);
  ConvParams tconv_p = conv;
  tconv_p.in_channels = 20;
  tconv_p.out_channels = 10;
  const Tensor x = tconv::test::random_tensor(Shape3{10, 16, 16}, 11);
  tconv::Weights wc{conv.weight_shape(tconv::ConvKind::kConv2d),
                    tconv::test::random_values(20 * 10 * 25, 12), {}};
  tconv::Weights wt{tconv_p.weight_shape(tconv::ConvKind::kConvTranspose2d),
                    tconv::test::random_values(20 * 10 * 25, 13), {}};
  const Tensor h = tconv::conv2d(x.view(), conv, wc);
  REQUIRE(h.shape() == Shape3{20, 6, 6});
  const Tensor y = tconv::conv_transpose2d(h.view(), tconv_p, wt);
  REQUIRE(y.shape() == x.shape());
}

TEST_CASE("seed: kernel2matrix, Y == W x and trans_conv(Y, K) == W^T y", "[golden][seed]") {
  const std::vector<float> k{1, 2, 3, 4};
  const auto w = kernel2matrix(k);
  const std::vector<std::vector<float>> expected_w{{1, 2, 0, 3, 4, 0, 0, 0, 0},
                                                   {0, 1, 2, 0, 3, 4, 0, 0, 0},
                                                   {0, 0, 0, 1, 2, 0, 3, 4, 0},
                                                   {0, 0, 0, 0, 1, 2, 0, 3, 4}};
  REQUIRE(w == expected_w);

  const Tensor x(Shape3{1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor y = tconv::conv2d(x.view(), single_channel(2, 1, 0), kernel_2x2(k));
  REQUIRE(y.shape() == Shape3{1, 2, 2});
  for (int r = 0; r < 4; ++r) {
    float wx = 0.0f;
    for (int i = 0; i < 9; ++i) wx += w[static_cast<std::size_t>(r)][static_cast<std::size_t>(i)] * x.span()[static_cast<std::size_t>(i)];
    REQUIRE(y.span()[static_cast<std::size_t>(r)] == wx);
  }
  REQUIRE(values(y) == std::vector<float>{27, 37, 57, 67});

  const Tensor z = tconv::conv_transpose2d(y.view(), single_channel(2, 1, 0), kernel_2x2(k));
  REQUIRE(z.shape() == Shape3{1, 3, 3});
  for (int i = 0; i < 9; ++i) {
    float wty = 0.0f;
    for (int r = 0; r < 4; ++r) wty += w[static_cast<std::size_t>(r)][static_cast<std::size_t>(i)] * y.span()[static_cast<std::size_t>(r)];
    REQUIRE(z.span()[static_cast<std::size_t>(i)] == wty);
  }
}
