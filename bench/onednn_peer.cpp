#include "onednn_peer.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

namespace tconv::bench {

using dnnl::memory;

struct OneDnnDeconvolution::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::deconvolution_forward::primitive_desc pd;
  dnnl::deconvolution_forward primitive;
  memory src, weights, bias, dst;
  Shape3 out_shape;
};

OneDnnDeconvolution::OneDnnDeconvolution(const ConvParams& p, const Weights& w, const Tensor& x,
                                         int threads)
    : state_(std::make_unique<State>()) {
  omp_set_num_threads(threads);
  State& s = *state_;
  const ConvParams r = p.resolved(ConvKind::kConvTranspose2d, x.shape());
  s.out_shape = p.output_shape(ConvKind::kConvTranspose2d, x.shape());
  const memory::dims src_dims{1, x.shape().c, x.shape().h, x.shape().w};
  const memory::dims dst_dims{1, s.out_shape.c, s.out_shape.h, s.out_shape.w};
  const int g = p.groups;
  // oneDNN weights are (g, oc/g, ic/g, kh, kw); ours are (ic, oc/g, kh, kw),
  // which is oneDNN's "giohw" order.
  const memory::dims wei_dims =
      g == 1 ? memory::dims{p.out_channels, p.in_channels, p.kernel.h, p.kernel.w}
             : memory::dims{g, p.out_channels / g, p.in_channels / g, p.kernel.h, p.kernel.w};
  const auto f32 = memory::data_type::f32;
  const memory::desc src_any(src_dims, f32, memory::format_tag::any);
  const memory::desc wei_any(wei_dims, f32, memory::format_tag::any);
  const memory::desc dst_any(dst_dims, f32, memory::format_tag::any);
  const memory::desc bias_md({p.out_channels}, f32, memory::format_tag::x);
  const bool has_bias = !w.bias.empty();
  // output_padding is part of the destination size: oneDNN derives it from
  // dst dims, so pad_end shrinks by it.
  const memory::dims strides{r.stride.h, r.stride.w};
  const memory::dims pad_l{r.pad_begin.h, r.pad_begin.w};
  const memory::dims pad_r{r.pad_end.h - r.output_padding.h, r.pad_end.w - r.output_padding.w};
  const memory::dims dilates{r.dilation.h - 1, r.dilation.w - 1};
  const auto desc =
      has_bias ? dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                   dnnl::algorithm::deconvolution_direct, src_any,
                                                   wei_any, bias_md, dst_any, strides, dilates,
                                                   pad_l, pad_r)
               : dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                   dnnl::algorithm::deconvolution_direct, src_any,
                                                   wei_any, dst_any, strides, dilates, pad_l,
                                                   pad_r);
  s.pd = dnnl::deconvolution_forward::primitive_desc(desc, s.engine);
  s.primitive = dnnl::deconvolution_forward(s.pd);

  auto import = [&](const memory::desc& want, const memory::dims& dims, memory::format_tag tag,
                    const float* data) {
    memory user({dims, f32, tag}, s.engine, const_cast<float*>(data));
    memory mem(want, s.engine);
    dnnl::reorder(user, mem).execute(s.stream, user, mem);
    return mem;
  };
  s.src = import(s.pd.src_desc(), src_dims, memory::format_tag::nchw, x.data());
  s.weights = import(s.pd.weights_desc(), wei_dims,
                     g == 1 ? memory::format_tag::iohw : memory::format_tag::giohw,
                     w.values.data());
  if (has_bias) s.bias = import(s.pd.bias_desc(), {p.out_channels}, memory::format_tag::x, w.bias.data());
  s.dst = memory(s.pd.dst_desc(), s.engine);
  s.stream.wait();
}

OneDnnDeconvolution::~OneDnnDeconvolution() = default;

void OneDnnDeconvolution::run() {
  State& s = *state_;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, s.src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, s.dst}};
  if (s.bias) args.emplace(DNNL_ARG_BIAS, s.bias);
  s.primitive.execute(s.stream, args);
  s.stream.wait();
}

Tensor OneDnnDeconvolution::output() {
  State& s = *state_;
  Tensor out(s.out_shape);
  memory user({{1, s.out_shape.c, s.out_shape.h, s.out_shape.w}, memory::data_type::f32,
               memory::format_tag::nchw},
              s.engine, out.data());
  dnnl::reorder(s.dst, user).execute(s.stream, s.dst, user);
  s.stream.wait();
  return out;
}

const char* OneDnnDeconvolution::impl_name() const { return state_->pd.impl_info_str(); }

}  // namespace tconv::bench
