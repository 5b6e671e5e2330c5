// tconv/tconv.hpp - the whole public API in one include.
//
// The headers are grouped by job, as the sources are (docs/library.md):
//   core/      tensors, ConvParams, ConvTranspose2d, Conv2d, errors, PyTorch settings
//   resample/  interpolation layers, borders, the image upsampler (one planned
//              op for "upsample an image"), interleaved image upsampling
//   model/     learned upsamplers (model files, their writer)
//   io/        .npy and safetensors
//   sr/        the super-resolution kit: MATLAB imresize, PSNR / SSIM, the
//              evaluation protocol, least-squares fitting, checkerboard analysis
// Including a single group's header is enough when only that part is used.
#pragma once

#include "tconv/core/conv2d.hpp"
#include "tconv/core/conv_backward.hpp"
#include "tconv/core/conv_params.hpp"
#include "tconv/core/conv_transpose2d.hpp"
#include "tconv/core/cpu.hpp"
#include "tconv/core/error.hpp"
#include "tconv/core/tensor.hpp"
#include "tconv/core/torch_settings.hpp"
#include "tconv/io/npy.hpp"
#include "tconv/io/safetensors.hpp"
#include "tconv/model/model.hpp"
#include "tconv/resample/border.hpp"
#include "tconv/resample/factories.hpp"
#include "tconv/resample/image_upsampler.hpp"
#include "tconv/resample/resample.hpp"
#include "tconv/sr/analysis.hpp"
#include "tconv/sr/imresize.hpp"
#include "tconv/sr/linear_fit.hpp"
#include "tconv/sr/quality.hpp"
#include "tconv/sr/sr_protocol.hpp"
