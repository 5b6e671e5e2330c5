#include "onednn_peer.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

namespace tconv::bench {

using dnnl::memory;

struct OneDnnConv::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::primitive_desc pd;
  dnnl::primitive primitive;
  memory src, weights, bias, dst;
  Shape3 out_shape;  // of one item
  int batch = 1;
};

OneDnnConv::OneDnnConv(ConvKind kind, const ConvParams& p, const Weights& w, const Tensor& x,
                       int batch, const Shape3& item, int threads)
    : state_(std::make_unique<State>()) {
  omp_set_num_threads(threads);
  State& s = *state_;
  const bool deconv = kind == ConvKind::kConvTranspose2d;
  const ConvParams r = p.resolved(kind, item);
  s.out_shape = p.output_shape(kind, item);
  s.batch = batch;
  const memory::dims src_dims{batch, item.c, item.h, item.w};
  const memory::dims dst_dims{batch, s.out_shape.c, s.out_shape.h, s.out_shape.w};
  const int g = p.groups;
  // oneDNN weights are (g, oc/g, ic/g, kh, kw). A deconvolution's are ours
  // (ic, oc/g, kh, kw) in oneDNN's "giohw" order; a convolution's
  // (oc, ic/g, kh, kw) are "goihw".
  const memory::dims wei_dims =
      g == 1 ? memory::dims{p.out_channels, p.in_channels, p.kernel.h, p.kernel.w}
             : memory::dims{g, p.out_channels / g, p.in_channels / g, p.kernel.h, p.kernel.w};
  const memory::format_tag wei_tag =
      deconv ? (g == 1 ? memory::format_tag::iohw : memory::format_tag::giohw)
             : (g == 1 ? memory::format_tag::oihw : memory::format_tag::goihw);
  const auto f32 = memory::data_type::f32;
  const memory::desc src_any(src_dims, f32, memory::format_tag::any);
  const memory::desc wei_any(wei_dims, f32, memory::format_tag::any);
  const memory::desc dst_any(dst_dims, f32, memory::format_tag::any);
  const memory::desc bias_md({p.out_channels}, f32, memory::format_tag::x);
  const bool has_bias = !w.bias.empty();
  // output_padding is part of the destination size: oneDNN derives it from
  // dst dims, so a deconvolution's pad_end shrinks by it.
  const memory::dims strides{r.stride.h, r.stride.w};
  const memory::dims pad_l{r.pad_begin.h, r.pad_begin.w};
  const memory::dims pad_r{r.pad_end.h - (deconv ? r.output_padding.h : 0),
                           r.pad_end.w - (deconv ? r.output_padding.w : 0)};
  const memory::dims dilates{r.dilation.h - 1, r.dilation.w - 1};
  // The same descriptor for either primitive (Op: deconvolution_forward or
  // convolution_forward).
  const auto plan = [&](auto op_tag, dnnl::algorithm algo) {
    using Op = decltype(op_tag);
    const auto inference = dnnl::prop_kind::forward_inference;
    const auto desc = has_bias ? typename Op::desc(inference, algo, src_any, wei_any, bias_md,
                                                   dst_any, strides, dilates, pad_l, pad_r)
                               : typename Op::desc(inference, algo, src_any, wei_any, dst_any,
                                                   strides, dilates, pad_l, pad_r);
    const typename Op::primitive_desc pd(desc, s.engine);
    s.pd = pd;
    s.primitive = Op(pd);
  };
  if (deconv)
    plan(dnnl::deconvolution_forward{}, dnnl::algorithm::deconvolution_direct);
  else
    plan(dnnl::convolution_forward{}, dnnl::algorithm::convolution_direct);

  auto import = [&](const memory::desc& want, const memory::dims& dims, memory::format_tag tag,
                    const float* data) {
    memory user({dims, f32, tag}, s.engine, const_cast<float*>(data));
    memory mem(want, s.engine);
    dnnl::reorder(user, mem).execute(s.stream, user, mem);
    return mem;
  };
  s.src = import(s.pd.src_desc(0), src_dims, memory::format_tag::nchw, x.data());
  s.weights = import(s.pd.weights_desc(0), wei_dims, wei_tag, w.values.data());
  if (has_bias)
    s.bias = import(s.pd.weights_desc(1), {p.out_channels}, memory::format_tag::x, w.bias.data());
  s.dst = memory(s.pd.dst_desc(0), s.engine);
  s.stream.wait();
}

OneDnnConv::~OneDnnConv() = default;

void OneDnnConv::run() {
  State& s = *state_;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, s.src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, s.dst}};
  if (s.bias) args.emplace(DNNL_ARG_BIAS, s.bias);
  s.primitive.execute(s.stream, args);
  s.stream.wait();
}

Tensor OneDnnConv::output() {
  State& s = *state_;
  Tensor out(Shape3{s.batch * s.out_shape.c, s.out_shape.h, s.out_shape.w});
  memory user({{s.batch, s.out_shape.c, s.out_shape.h, s.out_shape.w}, memory::data_type::f32,
               memory::format_tag::nchw},
              s.engine, out.data());
  dnnl::reorder(s.dst, user).execute(s.stream, s.dst, user);
  s.stream.wait();
  return out;
}

const char* OneDnnConv::impl_name() const { return state_->pd.impl_info_str(); }

}  // namespace tconv::bench
